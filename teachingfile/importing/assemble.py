"""From the text gathered under each heading to case fields, lists and report lines."""

from __future__ import annotations

import re

from teachingfile.importing.parsed import (
    ParsedCase,
    ParsedDifferential,
    ParsedLab,
    ParsedQuestion,
    ParsedReference,
    State,
)
from teachingfile.importing.patterns import (
    ACR_CODE,
    AGE_SEX,
    DOI,
    LAB,
    MODALITY_WORDS,
    QUESTION,
    REGION_WORDS,
    URL,
    plain_text,
    sentences,
    shorten,
)
from teachingfile.importing.provenance import append_field
from teachingfile.models import Category, Sex


def _text_of(chunks: list[str]) -> str:
    out = []
    for chunk in chunks:
        lines = [line.strip() for line in chunk.split("\n")]
        # Italic-only paragraphs (a journal's comment set in italics) lose the asterisks.
        joined = "\n".join(lines)
        if joined.startswith("*") and joined.endswith("*") and not joined.startswith("**"):
            joined = joined.strip("*")
        out.append(joined)
    return "\n\n".join(out).strip()


def finish(state: State, parsed: ParsedCase) -> None:
    sections = state.sections
    simple = {
        "presentation": "presentation",
        "full_history": "full_history",
        "findings": "findings",
        "discussion": "discussion",
        "follow_up": "follow_up",
        "technique": "technique",
        "teaching_points": "teaching_points",
    }
    for bucket, name in simple.items():
        if sections.get(bucket):
            parsed.fields[name] = _text_of(sections[bucket])
            parsed.placed.append(f"{name}: from the {bucket.replace('_', ' ')} section")

    _labs(parsed)
    if sections.get("diagnosis"):
        first, *rest = _text_of(sections["diagnosis"]).split("\n")
        if not parsed.text("diagnosis"):
            parsed.fields["diagnosis"] = plain_text(first)[:300]
        else:
            rest = [first, *rest]
        parsed.unplaced.extend(shorten(line, 160) for line in rest if line.strip())
    if sections.get("introduction"):
        intro = _text_of(sections["introduction"])
        parsed.fields["discussion"] = f"{intro}\n\n{parsed.text('discussion')}".strip()
        parsed.placed.append("discussion: the introduction opens it")
    if sections.get("abstract"):
        parsed.fields["teaching_points"] = _text_of(sections["abstract"])
        parsed.placed.append("teaching_points: from the abstract (summarise it)")
    if sections.get("preamble"):
        preamble = _text_of(sections["preamble"])
        if not parsed.text("full_history") and not parsed.text("presentation"):
            parsed.fields["full_history"] = preamble
            parsed.placed.append("full_history: the untitled opening text")
        elif state.title and not parsed.text("teaching_points"):
            parsed.fields["teaching_points"] = preamble
            parsed.placed.append("teaching_points: the untitled summary under the title")
        else:
            parsed.unplaced.extend(shorten(p, 160) for p in sections["preamble"])
    if sections.get("images"):
        parsed.unplaced.extend(
            f"image description (use it for a figure's neutral caption): {shorten(p, 120)}"
            for p in sections["images"]
        )
    if sections.get("credits"):
        append_field(parsed, "credits", _text_of(sections["credits"]))
    if sections.get("ignore_section"):
        parsed.ignored.extend(shorten(p, 80) for p in sections["ignore_section"])

    _keywords(sections.get("keywords", []), parsed)
    _acr(sections.get("acr", []), parsed)
    _references(sections.get("references", []), parsed)
    _differentials(sections.get("differential", []), parsed)
    _questions(sections.get("questions", []), state, parsed)
    _titles(state, parsed)
    _presentation(parsed)
    _findings(parsed)
    _demographics(parsed)
    _default_question(parsed)
    if parsed.figures:
        parsed.placed.append(
            f"figures: {len(parsed.figures)} caption(s) as figures awaiting their image"
        )


def _labs(parsed: ParsedCase) -> None:
    history = parsed.text("full_history")
    if not history:
        return
    kept = []
    for paragraph in history.split("\n\n"):
        match = LAB.match(paragraph.strip())
        if match:
            parsed.lab_values.append(
                ParsedLab(
                    name=match.group("name").strip()[:120],
                    value=match.group("value"),
                    unit=(match.group("unit") or "")[:40],
                    reference_range=(match.group("range") or "").strip()[:60],
                )
            )
        else:
            kept.append(paragraph)
    if parsed.lab_values:
        parsed.fields["full_history"] = "\n\n".join(kept)
        parsed.placed.append(f"lab values: {len(parsed.lab_values)} from the full history")


def _keywords(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        for item in re.split(r"[\n;,]", chunk):
            word = plain_text(item).strip(" -.").lower()
            if word and len(word) <= 100 and word not in parsed.keywords:
                parsed.keywords.append(word)
    if parsed.keywords:
        parsed.placed.append(f"keywords: {', '.join(parsed.keywords)}")


def _acr(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        text = plain_text(chunk)
        code = ACR_CODE.search(text)
        if code:
            parsed.fields["acr_code"] = code.group(0)
        category = re.search(r"Category\s*:\s*([^)\n]+)", text)
        if category:
            wanted = category.group(1).strip().lower()
            for value, label in Category.choices:
                if label.lower() == wanted or wanted.startswith(label.lower().split(",")[0]):
                    parsed.fields["category"] = value
                    parsed.placed.append(f"category: {label} (from the ACR line)")
                    break
        field_match = re.search(r"Anatomic field\s*:\s*([^,)\n]+)", text)
        if field_match:
            for value, pattern in REGION_WORDS:
                if pattern.search(field_match.group(1)):
                    parsed.fields["region"] = value
                    parsed.placed.append(f"region: {value} (from the anatomic field)")
                    break
        if not (code or category or field_match):
            parsed.unplaced.append(f"ACR line: {shorten(text, 120)}")


def _references(chunks: list[str], parsed: ParsedCase) -> None:
    items: list[str] = []
    for chunk in chunks:
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            starts_item = re.match(r"^(?:[-*]\s*)?(?:\[\d+\]|\d+\.)\s+", line) or re.match(
                r"^[-*]\s+", line
            )
            if starts_item or not items:
                items.append(line)
            else:
                items[-1] += " " + line
        items.append("")  # a paragraph break ends an item
    marked_pubmed = 0
    for item in filter(None, items):
        citation = re.sub(r"^(?:[-*]\s*)?(?:\[\d+\]|\d+\.)\s*", "", item)
        pubmed = "[PubMed]" in citation
        citation = plain_text(citation.replace("[PubMed]", "")).strip()
        if not citation:
            continue
        doi = DOI.search(citation)
        url = URL.search(citation)
        pmid = re.search(r"\bPMID:?\s*(\d{5,9})", citation)
        parsed.references.append(
            ParsedReference(
                citation=citation,
                doi=doi.group(1)[:200] if doi else "",
                pmid=pmid.group(1) if pmid else "",
                url=url.group(0)[:500] if url and len(url.group(0)) <= 500 else "",
            )
        )
        marked_pubmed += bool(pubmed and not pmid)
    if marked_pubmed:
        parsed.notes.append(f"{marked_pubmed} reference(s) marked [PubMed] without an id: add them")
    if parsed.references:
        parsed.placed.append(f"references: {len(parsed.references)}")


def _differentials(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        listed = len(lines) > 1 or re.match(r"^([-*]|\d+\.)\s", lines[0])
        if listed:
            for line in lines:
                name = plain_text(re.sub(r"^([-*]|\d+\.)\s*", "", line))
                parsed.differentials.append(ParsedDifferential(diagnosis=shorten(name, 200)))
        else:
            text = plain_text(chunk)
            first = sentences(text)[0] if text else ""
            parsed.differentials.append(
                ParsedDifferential(diagnosis=shorten(first, 200), note=text)
            )
    if parsed.differentials:
        parsed.placed.append(f"differential: {len(parsed.differentials)} item(s)")


def _questions(chunks: list[str], state: State, parsed: ParsedCase) -> None:
    number = 0
    for chunk in chunks:
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            match = QUESTION.match(line)
            if match:
                number = int(match.group(1) or match.group(2))
                parsed.questions.append(
                    ParsedQuestion(number=number, prompt=plain_text(match.group(3)))
                )
            elif line.startswith(("-", "*")) or not parsed.questions:
                number += 1
                parsed.questions.append(ParsedQuestion(number=number, prompt=plain_text(line[1:])))
            else:
                parsed.questions[-1].prompt += " " + plain_text(line)
    for question in parsed.questions:
        answer = state.answers.pop(question.number, None)
        if answer:
            question.explanation = "\n\n".join(plain_text(a) for a in answer if a.strip())
    for number, answer in sorted(state.answers.items()):
        parsed.unplaced.append(f"answer {number} has no question: {shorten(' '.join(answer), 120)}")
    if parsed.questions:
        parsed.placed.append(
            f"questions: {len(parsed.questions)}, "
            f"{sum(1 for q in parsed.questions if q.explanation)} with their answer"
        )


_TITLE_SPLIT = re.compile(r"\s*:\s+|\s+(?:mimicking|masquerading as|presenting as)\s+", re.I)
_ON_MODALITY = re.compile(
    r"\s+on\s+(?:a\s+)?(?:bone scan|ct|mri|radiographs?|ultrasound|pet\S*|scintigraphy)\b.*$",
    re.IGNORECASE,
)


def _titles(state: State, parsed: ParsedCase) -> None:
    diagnosis = parsed.text("diagnosis")
    if diagnosis:
        parsed.placed.append("diagnosis: from its own heading or label")
    elif state.title:
        guess = _TITLE_SPLIT.split(state.title)[0]
        guess = _ON_MODALITY.sub("", guess).strip() or state.title
        parsed.fields["diagnosis"] = guess[:300]
        parsed.notes.append(f"diagnosis taken from the title ('{guess}'): check it")
    else:
        parsed.notes.append("no diagnosis found: write one before submitting")
    known = state.title or parsed.text("diagnosis")
    if known:
        parsed.fields["known_title"] = shorten(known, 200)
        parsed.placed.append("known_title: " + ("the title" if state.title else "the diagnosis"))


def _presentation(parsed: ParsedCase) -> None:
    if parsed.text("presentation"):
        return
    history = parsed.text("full_history")
    if history:
        parsed.fields["presentation"] = sentences(history.split("\n\n")[0])[0]
        parsed.notes.append(
            "presentation: the first sentence of the history; check it does not give the "
            "diagnosis away"
        )
    else:
        parsed.notes.append("no history found: write the presentation")


def _findings(parsed: ParsedCase) -> None:
    if parsed.text("findings"):
        return
    answered = [q.explanation for q in parsed.questions if q.explanation]
    if answered:
        parsed.fields["findings"] = "\n\n".join(answered)
        parsed.notes.append("findings: drawn from the quiz answers; edit them down")
    elif parsed.figures:
        parsed.fields["findings"] = "\n\n".join(
            f"{figure.label}: {figure.caption}" for figure in parsed.figures
        )
        parsed.notes.append("findings: drawn from the figure captions; edit them down")
    else:
        parsed.notes.append("no findings found: write them")


def _demographics(parsed: ParsedCase) -> None:
    for name in ("presentation", "full_history"):
        match = AGE_SEX.search(parsed.text(name))
        if match:
            parsed.fields["patient_age"] = int(match.group(1))
            word = match.group(2).lower()
            female = word in {"woman", "lady", "female", "girl"}
            parsed.fields["patient_sex"] = Sex.FEMALE if female else Sex.MALE
            break
    age, sex = parsed.fields.get("patient_age"), parsed.fields.get("patient_sex")
    if age is not None:
        person = "woman" if sex == Sex.FEMALE else "man"
        parsed.fields["unknown_title"] = f"{age}-year-old {person}"
    else:
        parsed.fields["unknown_title"] = "Imported case"
    parsed.notes.append(
        f"unknown title set to '{parsed.fields['unknown_title']}': make it say the problem"
    )
    seen = " ".join(
        [parsed.text("presentation"), parsed.text("full_history"), parsed.text("findings")]
        + [parsed.text("technique")]
        + [figure.caption for figure in parsed.figures]
    )
    found = sorted(
        ((m.start(), code) for code, pattern in MODALITY_WORDS if (m := pattern.search(seen))),
    )
    if found:
        parsed.fields["modalities"] = " ".join(code for _, code in found)[:60]
        parsed.placed.append(f"modalities: {parsed.fields['modalities']} (from the text)")


def _default_question(parsed: ParsedCase) -> None:
    diagnosis = parsed.text("diagnosis")
    asks_diagnosis = [q for q in parsed.questions if "diagnos" in q.prompt.lower()]
    for question in asks_diagnosis:
        if diagnosis and diagnosis not in question.accepted:
            question.accepted.append(diagnosis)
    if not parsed.questions and diagnosis:
        parsed.questions.append(
            ParsedQuestion(number=1, prompt="What is your diagnosis?", accepted=[diagnosis])
        )
        parsed.notes.append("added the question 'What is your diagnosis?' (none in the text)")
    for question in parsed.questions:
        if not question.accepted:
            parsed.notes.append(f"question {question.number}: add accepted answers or choices")
