"""Moodle XML question banks: read multichoice, truefalse, shortanswer and essay; write ours.

Read with defusedxml (no entities, no external references). Question text in HTML is
cleaned to the app's Markdown; on export it goes out as Markdown, a text format Moodle
reads.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from teachingfile.importing.banks import BankQuestion, choice_shares, fraction_text
from teachingfile.importing.decoding import ImportRejected
from teachingfile.importing.documents import read_html
from teachingfile.models import Question
from teachingfile.services import AnswerSpec, ChoiceSpec, QuestionSpec

# Settings Moodle needs but the app decides itself (scoring in docs/scoring.md).
_SCORING_SETTINGS = {
    "name", "questiontext", "generalfeedback", "answer", "single", "defaultgrade",
    "penalty", "hidden", "shuffleanswers", "answernumbering", "usecase",
    "showstandardinstruction", "correctfeedback", "partiallycorrectfeedback",
    "incorrectfeedback", "shownumcorrect", "responseformat", "responserequired",
    "responsefieldlines", "attachments", "attachmentsrequired", "graderinfo",
    "responsetemplate", "minwordlimit", "maxwordlimit", "maxbytes", "filetypeslist",
}  # fmt: skip


def is_moodle_xml(data: bytes) -> bool:
    head = data[:2000].lstrip().lower()
    return b"<quiz" in head and b"<question" in data.lower()


def _text(element: Element | None) -> str:
    """The text of a Moodle text element (<x format="..."><text>...</text></x>)."""
    if element is None:
        return ""
    inner = element.find("text")
    raw = (inner.text if inner is not None else element.text) or ""
    if element.get("format", "html") == "html" and "<" in raw:
        return read_html(raw)
    return raw.strip()


def read_moodle_xml(data: bytes, *, filename: str) -> list[BankQuestion]:
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise ImportRejected(f"{filename} is not well-formed Moodle XML ({exc}).") from None
    if root.tag != "quiz":
        raise ImportRejected(f"{filename} is XML but not a Moodle quiz (root <{root.tag}>).")
    category = ""
    out: list[BankQuestion] = []
    skipped: list[str] = []
    for element in root.findall("question"):
        kind = element.get("type", "")
        if kind == "category":
            category = _text(element.find("category")).removeprefix("$course$/")
            continue
        name = _text(element.find("name")) or f"question {len(out) + 1}"
        reader = _READERS.get(kind)
        if reader is None:
            skipped.append(f"{name} ({kind})")
            continue
        item = reader(element, name)
        item.category = category
        if element.find(".//file") is not None:
            item.notes.append(f"{name}: its embedded images were not imported; upload them")
        item.unplaced += [
            f"moodle {child.tag}: {_text(child) or ''.join(child.itertext()).strip()}"
            for child in element
            if child.tag not in _SCORING_SETTINGS and "".join(child.itertext()).strip()
        ]
        out.append(item)
    if skipped and out:
        out[0].notes.append("skipped, the app has no such question type: " + "; ".join(skipped))
    if not out:
        kinds = f" (only {'; '.join(skipped)})" if skipped else ""
        raise ImportRejected(f"{filename} holds no question the app can take{kinds}.")
    return out


def _common(element: Element, name: str, kind: str) -> BankQuestion:
    return BankQuestion(
        name=name,
        spec=QuestionSpec(
            prompt=_text(element.find("questiontext")),
            kind=kind,
            explanation=_text(element.find("generalfeedback")),
        ),
    )


def _fraction(answer: Element) -> float:
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        return 0.0


def _read_multichoice(element: Element, name: str) -> BankQuestion:
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    item = _common(element, name, Question.Kind.SINGLE if single else Question.Kind.MULTIPLE)
    fractions = []
    for answer in element.findall("answer"):
        fraction = _fraction(answer)
        fractions.append(fraction)
        item.spec.choices.append(
            ChoiceSpec(
                text=_text(answer),
                is_correct=fraction > 0 if not single else fraction >= 99.9,
                rationale=_text(answer.find("feedback")),
            )
        )
    if single and not any(c.is_correct for c in item.spec.choices) and fractions:
        # Partly right choices only: the best one is taken as the answer.
        best = max(range(len(fractions)), key=fractions.__getitem__)
        item.spec.choices[best].is_correct = True
        item.notes.append(f"{name}: no choice was fully right; the best one is marked correct")
    positive = {round(f, 2) for f in fractions if f > 0}
    if not single and len(positive) > 1:
        item.notes.append(
            f"{name}: correct choices had different weights; the app gives each the same share"
        )
    return item


def _read_truefalse(element: Element, name: str) -> BankQuestion:
    item = _common(element, name, Question.Kind.SINGLE)
    for answer in element.findall("answer"):
        item.spec.choices.append(
            ChoiceSpec(
                text=_text(answer).capitalize(),
                is_correct=_fraction(answer) >= 99.9,
                rationale=_text(answer.find("feedback")),
            )
        )
    return item


def _read_shortanswer(element: Element, name: str) -> BankQuestion:
    item = _common(element, name, Question.Kind.FREE_TEXT)
    for answer in element.findall("answer"):
        fraction = _fraction(answer)
        text = _text(answer)
        feedback = _text(answer.find("feedback"))
        if fraction > 0:
            item.spec.accepted.append(AnswerSpec(text=text, score=round(fraction / 100, 4)))
        if feedback or fraction <= 0:
            # Feedback per answer (and answers worth nothing) have no field: kept.
            item.unplaced.append(f"moodle answer {text!r} ({fraction:g}%): {feedback}".strip())
    return item


def _read_essay(element: Element, name: str) -> BankQuestion:
    item = _common(element, name, Question.Kind.FREE_TEXT)
    item.notes.append(f"{name}: an essay question; add accepted answers")
    return item


_READERS = {
    "multichoice": _read_multichoice,
    "truefalse": _read_truefalse,
    "shortanswer": _read_shortanswer,
    "essay": _read_essay,
}


# ---------------------------------------------------------------------------------------
# Export


def _text_element(parent: Element, tag: str, text: str, *, fmt: str | None = "markdown") -> None:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text


def write_moodle_xml(questions: list[tuple[str, QuestionSpec]], *, category: str = "") -> bytes:
    """A Moodle XML bank of the questions: single, multiple and short answer."""
    root = ET.Element("quiz")
    if category:
        wrapper = ET.SubElement(root, "question", {"type": "category"})
        _text_element(wrapper, "category", f"$course$/{category}", fmt=None)
    for name, spec in questions:
        kind = "shortanswer" if spec.kind == Question.Kind.FREE_TEXT else "multichoice"
        element = ET.SubElement(root, "question", {"type": kind})
        _text_element(element, "name", name, fmt=None)
        _text_element(element, "questiontext", spec.prompt)
        _text_element(element, "generalfeedback", spec.explanation)
        ET.SubElement(element, "defaultgrade").text = "1"
        if kind == "shortanswer":
            ET.SubElement(element, "usecase").text = "0"
            for accepted in spec.accepted:
                answer = ET.SubElement(
                    element,
                    "answer",
                    {"fraction": fraction_text(accepted.score * 100), "format": "plain_text"},
                )
                ET.SubElement(answer, "text").text = accepted.text
            continue
        single = spec.kind == Question.Kind.SINGLE
        ET.SubElement(element, "single").text = "true" if single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        for choice, share in zip(spec.choices, choice_shares(spec), strict=True):
            answer = ET.SubElement(
                element, "answer", {"fraction": fraction_text(share), "format": "markdown"}
            )
            ET.SubElement(answer, "text").text = choice.text
            _text_element(answer, "feedback", choice.rationale)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
