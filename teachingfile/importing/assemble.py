"""From the text gathered under each heading to case fields, lists and report lines."""

from __future__ import annotations

import re

from teachingfile.importing.parsed import (
    ParsedCase,
    ParsedDifferential,
    ParsedLab,
    ParsedReference,
    State,
)
from teachingfile.importing.patterns import (
    ACR_CODE,
    AGE_SEX,
    DOI,
    LAB,
    MODALITY_WORDS,
    RATING,
    REGION_WORDS,
    SERIES_TITLE,
    URL,
    plain_text,
    sentences,
    shorten,
)
from teachingfile.importing.provenance import append_field
from teachingfile.importing.questions import (
    bare_answer,
    choice_questions,
    default_question,
    numbered_questions,
)
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

    _labs(parsed, sections.get("labs", []))
    if sections.get("unsure"):
        parsed.unplaced.extend(
            f"after a heading the importer did not know, under the presentation: {chunk}"
            for chunk in sections["unsure"]
        )
    if sections.get("diagnosis"):
        first, *rest = _text_of(sections["diagnosis"]).split("\n")
        if not parsed.text("diagnosis"):
            parsed.fields["diagnosis"] = plain_text(first)[:300]
        else:
            rest = [first, *rest]
        parsed.unplaced.extend(line for line in rest if line.strip())
    if sections.get("introduction"):
        intro = _text_of(sections["introduction"])
        parsed.fields["discussion"] = f"{intro}\n\n{parsed.text('discussion')}".strip()
        parsed.placed.append("discussion: the introduction opens it")
    if sections.get("abstract"):
        parsed.fields["teaching_points"] = _text_of(sections["abstract"])
        parsed.placed.append("teaching_points: from the abstract (summarise it)")
    if sections.get("preamble"):
        preamble = _text_of(sections["preamble"])
        if state.choice_questions and state.stem_bucket == "preamble":
            # The vignette of a question of choices is what the resident reads first.
            parsed.fields.setdefault("presentation", preamble)
            parsed.placed.append("presentation: the question's vignette")
        elif not parsed.text("full_history") and not parsed.text("presentation"):
            parsed.fields["full_history"] = preamble
            parsed.placed.append("full_history: the untitled opening text")
        elif state.title and not parsed.text("teaching_points"):
            parsed.fields["teaching_points"] = preamble
            parsed.placed.append("teaching_points: the untitled summary under the title")
        else:
            parsed.unplaced.extend(sections["preamble"])
    if sections.get("images"):
        parsed.unplaced.extend(
            f"image description (use it for a figure's neutral caption): {p}"
            for p in sections["images"]
        )
    if sections.get("credits"):
        append_field(parsed, "credits", _text_of(sections["credits"]))
    if sections.get("ignore_section"):
        parsed.ignored.extend(sections["ignore_section"])

    _keywords(sections.get("keywords", []), parsed)
    _acr(sections.get("acr", []), parsed)
    _references(sections.get("references", []), parsed)
    _differentials(sections.get("differential", []), parsed)
    numbered_questions(sections.get("questions", []), state, parsed)
    choice_questions(state, parsed, sections.get("rationale", []))
    bare_answer(sections.get("answers", []), parsed)
    _stem(state, parsed)
    _titles(state, parsed)
    _presentation(parsed, from_history_section=bool(sections.get("full_history")))
    _findings(parsed)
    _patient_data(sections.get("patient_data", []), parsed)
    _demographics(parsed)
    default_question(parsed)
    if parsed.figures:
        parsed.placed.append(
            f"figures: {len(parsed.figures)} caption(s) as figures awaiting their image"
        )


def _labs(parsed: ParsedCase, section: list[str]) -> None:
    """Lab lines ("Serum Calcium: 7.8 mg/dl (nl: 8.6 - 10.3 mg/dl)") become lab values."""
    sources = [("presentation", True), ("full_history", False)]
    texts = {name: parsed.text(name) for name, _ in sources}
    texts["labs"] = "\n".join(section)
    for name, before_reveal in [*sources, ("labs", False)]:
        kept = []
        found = 0
        for line in texts[name].split("\n"):
            match = LAB.match(plain_text(line))
            if not match:
                kept.append(line)
                continue
            found += 1
            parsed.lab_values.append(
                ParsedLab(
                    name=match.group("name").strip()[:120],
                    value=match.group("value"),
                    unit=(match.group("unit") or "")[:40],
                    reference_range=(match.group("range") or "").strip()[:60],
                    # Labs given with the presentation stay visible before the reveal.
                    before_reveal=before_reveal,
                )
            )
        rest = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
        if name == "labs":
            if rest:
                append_field(parsed, "full_history", rest)
        elif found:
            parsed.fields[name] = rest
        if found:
            where = "the laboratory section" if name == "labs" else f"the {name.replace('_', ' ')}"
            parsed.placed.append(f"lab values: {found} from {where}")


def _keywords(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        for item in re.split(r"[\n;,]", chunk):
            word = plain_text(item).strip(" -.").lower()
            rating = RATING.search(item)
            if rating:
                # "#D2 #Q4" is the source's rating, not a keyword.
                parsed.rating = (int(rating.group(1)), int(rating.group(2)))
                continue
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
            parsed.unplaced.append(f"ACR line: {text}")


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
            if starts_item or not items or _whole_citation(items[-1]):
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


def _whole_citation(line: str) -> bool:
    """An unnumbered line that is a citation on its own (authors, a year, pages)."""
    return bool(
        re.search(r"\b(19|20)\d{2}\b", line)
        and re.search(r"\d+\s*[-–]\s*\d+\.?$|\d\.$", line)
        and not re.match(r"^(?:[-*]\s*)?(?:\[\d+\]|\d+\.)", line)
    )


def _differentials(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        listed = len(lines) > 1 or re.match(r"^([-*]|\d+\.)\s", lines[0])
        if listed:
            for line in lines:
                name = plain_text(re.sub(r"^([-*]|\d+\.)\s*", "", line))
                parsed.differentials.append(ParsedDifferential(diagnosis=shorten(name, 200)))
        elif "," in lines[0] and not sentences(lines[0])[1:] and len(lines[0]) <= 300:
            # "DDx: phlebolith, calcified iliac artery, appendicolith"
            for name in re.split(r"\s*[,;]\s*(?:and\s+|or\s+)?", plain_text(lines[0]).rstrip(".")):
                if name:
                    parsed.differentials.append(ParsedDifferential(diagnosis=shorten(name, 200)))
        else:
            text = plain_text(chunk)
            first = sentences(text)[0] if text else ""
            parsed.differentials.append(
                ParsedDifferential(diagnosis=shorten(first, 200), note=text)
            )
    if parsed.differentials:
        parsed.placed.append(f"differential: {len(parsed.differentials)} item(s)")


_TITLE_SPLIT = re.compile(r"\s*:\s+|\s+(?:mimicking|masquerading as|presenting as)\s+", re.I)
_ON_MODALITY = re.compile(
    r"\s+on\s+(?:a\s+)?(?:bone scan|ct|mri|radiographs?|ultrasound|pet\S*|scintigraphy)\b.*$",
    re.IGNORECASE,
)


def _titles(state: State, parsed: ParsedCase) -> None:
    diagnosis = parsed.text("diagnosis")
    series = bool(state.title and SERIES_TITLE.search(state.title))
    if series:
        # "Case of the Week - Week 37" names the series, not the case.
        parsed.fields.setdefault("source_reference", state.title[:200])
        parsed.placed.append("source_reference: the title names a series, not the case")
    asked = [q for q in parsed.questions if "diagnos" in q.prompt.lower() and q.explanation]
    answer = asked[-1].explanation.strip().split("\n")[0] if asked else ""
    if diagnosis:
        if not any(line.startswith("diagnosis:") for line in parsed.placed):
            parsed.placed.append("diagnosis: from its own heading or label")
    elif answer and len(answer) <= 80 and len(answer.split()) <= 10:
        # The answer to "What is the diagnosis?" says it better than a title would.
        parsed.fields["diagnosis"] = plain_text(answer).rstrip(".")[:300]
        parsed.notes.append(f"diagnosis taken from the answer ('{answer}'): check it")
    elif state.title and not series:
        guess = _TITLE_SPLIT.split(state.title)[0]
        guess = _ON_MODALITY.sub("", guess).strip() or state.title
        parsed.fields["diagnosis"] = guess[:300]
        parsed.notes.append(f"diagnosis taken from the title ('{guess}'): check it")
    else:
        parsed.notes.append("no diagnosis found: write one before submitting")
    title = "" if series else state.title
    known = title or parsed.text("diagnosis")
    if known:
        parsed.fields["known_title"] = shorten(known, 200)
        parsed.placed.append("known_title: " + ("the title" if title else "the diagnosis"))


def _presentation(parsed: ParsedCase, *, from_history_section: bool) -> None:
    if parsed.text("presentation"):
        return
    history = parsed.text("full_history")
    first = sentences(history.split("\n\n")[0])[0] if history else ""
    # A section headed as the history, or untitled text that opens on the patient
    # ("A 45-year-old woman..."); other untitled text may be anything.
    if first and (from_history_section or AGE_SEX.search(first)):
        parsed.fields["presentation"] = first
        parsed.notes.append(
            "presentation: the first sentence of the history; check it does not give the "
            "diagnosis away"
        )
    else:
        parsed.notes.append("no history found: write the presentation")


def _findings(parsed: ParsedCase) -> None:
    if parsed.text("findings"):
        return
    # Rationales of lettered choices explain the choices, not the images.
    answered = [q.explanation for q in parsed.questions if q.explanation and not q.choices]
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
        if match and parsed.fields.get("patient_age") is None:
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


def _stem(state: State, parsed: ParsedCase) -> None:
    """A stem read under a section other than the opening text stays where it was read."""
    if (
        state.choice_questions
        and not parsed.text("presentation")
        and not state.sections.get("preamble")
    ):
        parsed.notes.append("the question has no vignette: write the presentation")


_AGE_LINE = re.compile(r"^age\s*:\s*(\d{1,3})\s*(?:years?|y)?\b", re.IGNORECASE)
_SEX_LINE = re.compile(r"^(?:gender|sex)\s*:\s*(male|female|m|f)\b", re.IGNORECASE)


def _patient_data(chunks: list[str], parsed: ParsedCase) -> None:
    """'Age: 67 years' and 'Gender: Male' lines; anything else there is kept unplaced."""
    for chunk in chunks:
        for line in chunk.split("\n"):
            text = plain_text(line)
            age = _AGE_LINE.match(text)
            sex = _SEX_LINE.match(text)
            if age and int(age.group(1)) <= 130:
                parsed.fields["patient_age"] = int(age.group(1))
                parsed.placed.append("patient_age: from the patient data")
            elif sex:
                female = sex.group(1).lower().startswith("f")
                parsed.fields["patient_sex"] = Sex.FEMALE if female else Sex.MALE
                parsed.placed.append("patient_sex: from the patient data")
            elif text:
                parsed.unplaced.append(f"patient data: {text}")
