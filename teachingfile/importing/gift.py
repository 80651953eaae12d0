"""GIFT question banks (Moodle's plain-text format): read and write the app's three kinds.

    ::tf-0004 Q1::[markdown]Which sign? {
    =Right answer#why it is right
    ~Wrong answer#why not
    ####explanation for everyone
    }

Weights in percent (`~%50%`) make a multiple-answer question; only `=` answers make a
short answer, with `=%50%` for a partly right one. `\\~ \\= \\# \\{ \\} \\:` escape.
"""

from __future__ import annotations

import re

from teachingfile.importing.banks import BankQuestion, choice_shares, fraction_text
from teachingfile.importing.decoding import ImportRejected
from teachingfile.importing.documents import read_html
from teachingfile.models import Question
from teachingfile.services import AnswerSpec, ChoiceSpec, QuestionSpec

_SPECIAL = "\\~=#{}:"
_TITLE = re.compile(r"^::(?P<title>(?:\\.|[^:])*)::")
_FORMAT = re.compile(r"^\[(?P<format>html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"^%(?P<weight>-?\d+(?:\.\d+)?)%")


def escape(text: str) -> str:
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)
    return out.replace("\n", "\\n")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text).strip()


def _find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped ``target`` at or after ``start``; -1 when none."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def _chunks(text: str) -> list[str]:
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if not line.startswith("//")]
    return [c.strip() for c in re.split(r"\n\s*\n", "\n".join(lines)) if c.strip()]


def read_gift(text: str, *, filename: str) -> list[BankQuestion]:
    out: list[BankQuestion] = []
    skipped: list[str] = []
    category = ""
    for chunk in _chunks(text):
        if chunk.startswith("$CATEGORY:"):
            category = chunk.partition(":")[2].strip().removeprefix("$course$/")
            continue
        item = _read_question(chunk, len(out) + 1)
        if isinstance(item, str):
            skipped.append(item)
            continue
        item.category = category
        out.append(item)
    if skipped and out:
        out[0].notes.append("skipped: " + "; ".join(skipped))
    if not out:
        detail = f" ({'; '.join(skipped)})" if skipped else ""
        raise ImportRejected(f"{filename} holds no GIFT question the app can take{detail}.")
    return out


def _read_question(chunk: str, number: int) -> BankQuestion | str:
    """A question, or a string saying why it was skipped."""
    title = _TITLE.match(chunk)
    name = unescape(title.group("title")) if title else f"question {number}"
    body = chunk[title.end() :].strip() if title else chunk
    form = _FORMAT.match(body)
    if form:
        body = body[form.end() :]
    html = bool(form and form.group("format") == "html")
    opening = _find(body, "{")
    closing = _find(body, "}", opening + 1) if opening >= 0 else -1
    if opening < 0 or closing < 0:
        return f"{name} (a description with no answers)"
    before, block, after = body[:opening], body[opening + 1 : closing], body[closing + 1 :]
    prompt = unescape(before) + (f" _____ {unescape(after)}" if after.strip() else "")
    if html:
        prompt = read_html(prompt)
    general = ""
    split = _find(block, "####")
    if split >= 0:
        block, general = block[:split], unescape(block[split + 4 :])
    block = block.strip()
    if block.upper() in ("T", "TRUE", "F", "FALSE") or re.match(r"^(T|TRUE|F|FALSE)\s*#", block):
        truth = block.upper().startswith("T")
        spec = QuestionSpec(
            prompt=prompt,
            kind=Question.Kind.SINGLE,
            explanation=general,
            choices=[ChoiceSpec("True", truth), ChoiceSpec("False", not truth)],
        )
        return BankQuestion(name=name, spec=spec)
    if block.startswith("#"):
        return f"{name} (numerical)"
    answers = _answers(block)
    if not answers:
        spec = QuestionSpec(prompt=prompt, kind=Question.Kind.FREE_TEXT, explanation=general)
        item = BankQuestion(name=name, spec=spec)
        item.notes.append(f"{name}: an essay question; add accepted answers")
        return item
    if any("->" in text for _, _, text, _ in answers):
        return f"{name} (matching)"
    return _question(name, prompt, general, answers)


def _answers(block: str) -> list[tuple[str, float | None, str, str]]:
    """(marker, weight, text, feedback) for each answer of a block."""
    starts = []
    i = 0
    while i < len(block):
        if block[i] == "\\":
            i += 2
            continue
        if block[i] in "=~":
            starts.append(i)
        i += 1
    out = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(block)
        raw = block[start + 1 : end].strip()
        weight = _WEIGHT.match(raw)
        if weight:
            raw = raw[weight.end() :]
        cut = _find(raw, "#")
        text, feedback = (raw[:cut], raw[cut + 1 :]) if cut >= 0 else (raw, "")
        out.append(
            (
                block[start],
                float(weight.group("weight")) if weight else None,
                unescape(text),
                unescape(feedback),
            )
        )
    return out


def _question(
    name: str, prompt: str, general: str, answers: list[tuple[str, float | None, str, str]]
) -> BankQuestion:
    markers = {marker for marker, _, _, _ in answers}
    if markers == {"="}:
        spec = QuestionSpec(prompt=prompt, kind=Question.Kind.FREE_TEXT, explanation=general)
        item = BankQuestion(name=name, spec=spec)
        for _, weight, text, feedback in answers:
            score = 1.0 if weight is None else weight / 100
            if score > 0:
                spec.accepted.append(AnswerSpec(text=text, score=round(score, 4)))
            if feedback or score <= 0:
                item.unplaced.append(f"gift answer {text!r}: {feedback}".strip())
        return item
    weighted = any(weight is not None for marker, weight, _, _ in answers if marker == "~")
    kind = Question.Kind.MULTIPLE if weighted else Question.Kind.SINGLE
    choices = [
        ChoiceSpec(
            text=text,
            is_correct=marker == "=" or (weight is not None and weight > 0),
            rationale=feedback,
        )
        for marker, weight, text, feedback in answers
    ]
    spec = QuestionSpec(prompt=prompt, kind=kind, explanation=general, choices=choices)
    return BankQuestion(name=name, spec=spec)


def write_gift(questions: list[tuple[str, QuestionSpec]], *, category: str = "") -> str:
    parts = [f"$CATEGORY: $course$/{category}"] if category else []
    for name, spec in questions:
        lines = [f"// {name}", f"::{escape(name)}::[markdown]{escape(spec.prompt)} {{"]
        if spec.kind == Question.Kind.FREE_TEXT:
            for answer in spec.accepted:
                weight = "" if answer.score >= 1 else f"%{fraction_text(answer.score * 100)}%"
                lines.append(f"={weight}{escape(answer.text)}")
        else:
            single = spec.kind == Question.Kind.SINGLE
            for choice, share in zip(spec.choices, choice_shares(spec), strict=True):
                rationale = f"#{escape(choice.rationale)}" if choice.rationale else ""
                if single:
                    marker = "=" if choice.is_correct else "~"
                else:
                    marker = f"~%{fraction_text(share)}%"
                lines.append(f"{marker}{escape(choice.text)}{rationale}")
        if spec.explanation:
            lines.append(f"####{escape(spec.explanation)}")
        lines.append("}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
