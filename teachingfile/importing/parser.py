"""Read a case write-up (journal quiz, teaching-file page, case report) into case fields.

The parser knows no database: it returns a ParsedCase with the fields it could fill,
the lists (questions, figures, references...) and a log of where each part went and
what it could not place, which the import service turns into a draft case and a report.

Documents come in many shapes, so it works by paragraphs and recognises:
- section headings in Markdown (`## History`), bold (`**References**`), label lines
  (`Brief history:`, `Diagnosis: ...` with the value on the same line) and bare short
  lines (`Case report`), matched against known names with a little typo tolerance;
- figure captions (`Fig. 1 -`, `**Fig. 1** –`, `Figure 3.`), wherever they fall;
- provenance anywhere: authors, affiliations, citation lines, DOI, licence, case number;
- questions (`Q1.`) and answers (`**Answer 1:**`) of journal quizzes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from teachingfile.models import Category, Modality, Region, Sex

# Heading names (normalised) -> the bucket their text goes to.
HEADINGS: dict[str, str] = {
    "history": "presentation",
    "brief history": "presentation",
    "clinical history": "presentation",
    "patient history": "presentation",
    "presentation": "presentation",
    "clinical presentation": "presentation",
    "full history": "full_history",
    "case report": "full_history",
    "case presentation": "full_history",
    "case description": "full_history",
    "question": "questions",
    "questions": "questions",
    "answer": "answers",
    "answers": "answers",
    "findings": "findings",
    "imaging findings": "findings",
    "radiological findings": "findings",
    "diagnosis": "diagnosis",
    "final diagnosis": "diagnosis",
    "differential": "differential",
    "differential diagnosis": "differential",
    "differential diagnoses": "differential",
    "differential diagnosis list": "differential",
    "discussion": "discussion",
    "comment": "discussion",
    "comments": "discussion",
    "commentary": "discussion",
    "follow-up": "follow_up",
    "followup": "follow_up",
    "follow up": "follow_up",
    "outcome": "follow_up",
    "references": "references",
    "reference": "references",
    "bibliography": "references",
    "teaching points": "teaching_points",
    "teaching point": "teaching_points",
    "key points": "teaching_points",
    "pearls": "teaching_points",
    "keywords": "keywords",
    "key words": "keywords",
    "technique": "technique",
    "radiopharmaceutical": "technique",
    "protocol": "technique",
    "abstract": "abstract",
    "summary": "abstract",
    "introduction": "introduction",
    "background": "introduction",
    "images": "images",
    "acr codes and keywords": "acr",
    "acr codes": "acr",
    "acr code": "acr",
    "article info": "ignore_section",
    "article history": "ignore_section",
    # Label lines whose value is provenance.
    "case authors": "authors",
    "case author": "authors",
    "authors": "authors",
    "author": "authors",
    "submitted by": "authors",
    "citation": "citation",
    "doi": "doi",
    "copyright": "licence",
    "licence": "licence",
    "license": "licence",
    "case number": "case_number",
    "corresponding author": "credits",
    "competing interests": "ignore_line",
    "conflicts of interest": "ignore_line",
    "e-mail address": "ignore_line",
    "email": "ignore_line",
    "quiz": "ignore_line",
}
_HEADING_NAMES = list(HEADINGS)
# Buckets whose heading text is a one-line value rather than a section of paragraphs.
_LINE_VALUES = {"authors", "citation", "doi", "licence", "case_number", "ignore_line"}

# Website furniture and publisher boilerplate: dropped, and listed in the report.
_BOILERPLATE = re.compile(
    r"^(search for similar cases|edit this case|add comments about this case|return to the "
    r"teaching file|view (main|second|third|\w+) image|full history/diagnosis is available|"
    r"available online at|sciencedirect$|journal homepage|\\?\*?\s*corresponding author\.?$|"
    r"e-?mail address|competing interests|-{3,}$|_{3,}$)",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
_BOLD_LABEL = re.compile(r"^\*\*(?P<label>[^*]{1,60}?)\s*(?::\s*\*\*|\*\*\s*:)\s*(?P<rest>.*)$")
_BOLD_LINE = re.compile(r"^\*\*(?P<label>[^*]{1,60}?)\*\*\s*$")
_PLAIN_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z /()\-]{1,40}?)\s*:\s*(?P<rest>.*)$")
_CAPTION = re.compile(
    r"^(?:\*\*)?(?P<label>(?:Figure|Fig\.?)\s*(?P<num>\d{1,2}(?-i:[A-Z])?|(?-i:[A-Z])))\.?(?:\*\*)?"
    r"\s*[-–—:.]?\s*(?:\*\*)?\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"^(?:[-*]\s*)?(?:Q(?:uestion)?\s*(\d+)|(\d+))\s*[.:)]\s*(.+)$", re.I)
_ANSWER_LABEL = re.compile(r"^answer\s*(\d+)$", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\]\[()\"']+[^\s<>\]\[()\"'.,;])")
_URL = re.compile(r"https?://[^\s<>)\]]+")
_JOURNAL_CITATION = re.compile(r"\b(19|20)\d{2}\s*[;,]\s*\d+\s*\(\s*\d+\s*\)\s*:\s*\d+")
_AGE_SEX = re.compile(
    r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]old\s+(woman|man|lady|gentleman|male|female|boy|girl)",
    re.IGNORECASE,
)
_LAB = re.compile(
    r"^(?P<name>[A-Z][A-Za-z ]{2,40}):\s*(?P<value>[<>]?\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-zµ/%]+)?"
    r"\s*(?:\((?:nl|normal|ref(?:erence)?)\.?:?\s*(?P<range>[^)]+)\))?\s*$"
)
_RATING = re.compile(r"#D(\d)\b.*?#Q(\d)\b")
_DATE_MDY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_ACR_CODE = re.compile(r"\b\d{1,2}\.\d{1,4}\b")
_DEGREES = re.compile(r"\b(M\.?D\.?|Ph\.?D\.?|MBBS|FRCR|DO)\b")
_AFFILIATION = re.compile(r"\b(Department of|University|Hospital|Institute|College|Clinic)\b")
_INITIAL_NAME = re.compile(r"^[A-Z]\.\s*(?:[A-Z]\.\s*)?[A-Z][\w'’-]+,?$")
_SENTENCE_END = re.compile(r"(?<!\bFig)(?<!\bDr)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=\s+[A-Z(])")

_MODALITY_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (Modality.NM, re.compile(r"bone scan|scintigra|Tc-?99m|\bMDP\b|nuclear medicine|SPECT", re.I)),
    (Modality.PET, re.compile(r"\bPET\b|FDG")),
    (Modality.CT, re.compile(r"\bCT\b|computed tomograph", re.I)),
    (Modality.MR, re.compile(r"\bMRI?\b|magnetic resonance", re.I)),
    (Modality.XR, re.compile(r"radiograph|X-ray|plain film", re.I)),
    (Modality.US, re.compile(r"ultraso|sonograph", re.I)),
    (Modality.MG, re.compile(r"mammogra", re.I)),
    (Modality.FL, re.compile(r"fluoroscop", re.I)),
]
_REGION_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (Region.MUSCULOSKELETAL, re.compile(r"skeletal|musculoskeletal|bone|joint", re.I)),
    (Region.CHEST, re.compile(r"chest|lung|thora", re.I)),
    (Region.BREAST, re.compile(r"breast", re.I)),
    (Region.ABDOMEN, re.compile(r"abdom|gastro|liver|renal|genitourinary", re.I)),
    (Region.NEURO, re.compile(r"brain|neuro", re.I)),
    (Region.SPINE, re.compile(r"spine|spinal", re.I)),
]


@dataclass
class ParsedQuestion:
    number: int
    prompt: str
    explanation: str = ""
    accepted: list[str] = field(default_factory=list)


@dataclass
class ParsedFigure:
    label: str
    caption: str


@dataclass
class ParsedReference:
    citation: str
    doi: str = ""
    pmid: str = ""
    url: str = ""


@dataclass
class ParsedLab:
    name: str
    value: str
    unit: str = ""
    reference_range: str = ""


@dataclass
class ParsedDifferential:
    diagnosis: str
    note: str = ""


@dataclass
class ParsedCase:
    fields: dict[str, object] = field(default_factory=dict)
    questions: list[ParsedQuestion] = field(default_factory=list)
    figures: list[ParsedFigure] = field(default_factory=list)
    references: list[ParsedReference] = field(default_factory=list)
    lab_values: list[ParsedLab] = field(default_factory=list)
    differentials: list[ParsedDifferential] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    rating: tuple[int, int] | None = None
    # The report: where things went, what was dropped, what needs a human.
    placed: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self, name: str) -> str:
        value = self.fields.get(name, "")
        return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------------------
# Cleaning


def clean_markup(text: str) -> str:
    """Flatten the inline HTML and escapes that PDF-to-Markdown tools leave behind."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"<sup>.*?</sup>", "", text, flags=re.IGNORECASE | re.DOTALL)
    text = re.sub(r"<((?:https?|mailto):[^>\s]+)>", r"\1", text)
    text = re.sub(r"</?[a-zA-Z][^>]{0,200}>", "", text)
    text = re.sub(r"\\([\\_*\[\]()#`>-])", r"\1", text)
    # [text](url): keep the words; the address of a reference stays in its citation text.
    text = re.sub(r"\[([^\]]+)\]\((?:https?|mailto):[^)\s]+\)", r"\1", text)
    return text


def _plain(text: str) -> str:
    """Text without Markdown emphasis and outer whitespace (for labels and values)."""
    return re.sub(r"[*_`]+", "", text).strip()


def _norm_heading(text: str) -> str:
    text = _plain(text).lower()
    text = re.sub(r"\(s\)", "s", text)
    text = re.sub(r"[^a-z0-9/ -]+", " ", text)
    return " ".join(text.split())


def heading_bucket(text: str) -> str | None:
    """The bucket for a heading, allowing small typos ("Discusion", "Refrences")."""
    name = _norm_heading(text)
    if not name or len(name) > 40:
        return None
    if name in HEADINGS:
        return HEADINGS[name]
    if len(name) < 5:
        return None
    found = process.extractOne(name, _HEADING_NAMES, scorer=fuzz.ratio, score_cutoff=88)
    return HEADINGS[found[0]] if found else None


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def _sentences(text: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


# ---------------------------------------------------------------------------------------
# Parsing


@dataclass
class _State:
    bucket: str | None = None
    seen_section: bool = False
    title: str = ""
    sections: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[int, list[str]] = field(default_factory=dict)
    last_answer: int | None = None


def parse_document(text: str) -> ParsedCase:
    parsed = ParsedCase()
    state = _State()
    for paragraph in _paragraphs(clean_markup(text)):
        _read_paragraph(paragraph, state, parsed)
    _finish(state, parsed)
    return parsed


def _read_paragraph(paragraph: str, state: _State, parsed: ParsedCase) -> None:
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    if not lines:
        return
    first = lines[0]
    if _BOILERPLATE.match(_plain(first)) and len(lines) == 1:
        parsed.ignored.append(_shorten(_plain(first), 80))
        return
    if state.title and _plain(first) == state.title and len(lines) == 1:
        return  # a running page header repeating the title

    caption = _CAPTION.match(first)
    if caption and not first.lower().startswith(("figure out",)):
        label = f"Fig. {caption.group('num')}"
        body = " ".join([caption.group("text"), *lines[1:]])
        parsed.figures.append(ParsedFigure(label=label, caption=_plain(body)))
        return

    md = _MD_HEADING.match(first)
    if md:
        _heading(md.group(2), level=len(md.group(1)), state=state, parsed=parsed)
        if len(lines) > 1:
            _read_paragraph("\n".join(lines[1:]), state, parsed)
        return

    bold = _BOLD_LABEL.match(first) or _PLAIN_LABEL.match(first)
    if bold:
        label, rest = bold.group("label"), bold.group("rest").strip()
        answer = _ANSWER_LABEL.match(_norm_heading(label))
        if answer:
            state.bucket = "answers"
            state.seen_section = True
            state.last_answer = int(answer.group(1))
            state.answers.setdefault(state.last_answer, []).append(
                " ".join([rest, *lines[1:]]).strip()
            )
            return
        bucket = heading_bucket(label)
        if bucket is not None and not (state.bucket == "references" and bucket == "references"):
            _label(bucket, label, " ".join([rest, *lines[1:]]).strip(), state, parsed)
            return

    bold_line = _BOLD_LINE.match(first)
    if bold_line and len(lines) == 1:
        bucket = heading_bucket(bold_line.group("label"))
        if bucket is not None:
            _heading(bold_line.group("label"), level=3, state=state, parsed=parsed)
            return

    if len(lines) == 1 and len(first) <= 50 and not first.endswith((".", ",", ";")):
        bucket = heading_bucket(first)
        if bucket is not None:
            _heading(first, level=3, state=state, parsed=parsed)
            return

    if _provenance(paragraph, lines, state, parsed):
        return
    if (
        len(lines) == 1
        and len(first) <= 150
        and not first.endswith((".", ",", ";"))
        and not state.title
        and not state.seen_section
        and first[:1].isupper()
    ):
        # A plain-text document opens with its title.
        state.title = _plain(first)
        return
    _add_text(state, paragraph)


def _heading(text: str, *, level: int, state: _State, parsed: ParsedCase) -> None:
    bucket = heading_bucket(text)
    plain = _plain(text).rstrip(":").strip()
    if bucket in _LINE_VALUES or bucket == "acr":
        # "#### Submitted by: Name" and the like carry their value after the colon.
        label, _, rest = plain.partition(":")
        if bucket != "acr" and rest.strip():
            _label(bucket or "", label, rest.strip(), state, parsed)
            return
        if bucket == "ignore_line":
            parsed.ignored.append(plain)
            return
    if bucket is None:
        label, _, rest = plain.partition(":")
        by_label = heading_bucket(label)
        if by_label in _LINE_VALUES and rest.strip():
            _label(by_label, label, rest.strip(), state, parsed)
            return
        case_number = re.search(r"\bCase\s+(\d+)\b", plain)
        if case_number and not state.seen_section:
            parsed.fields.setdefault("source_reference", f"Case {case_number.group(1)}")
            parsed.ignored.append(plain)
            state.bucket = None
            return
        if level == 1 and plain:
            if not state.title:
                state.title = plain
            # A titled essay after the answers is the discussion (the journal-quiz shape).
            state.bucket = "discussion" if state.answers else None
            return
        if not state.seen_section:
            parsed.ignored.append(plain)
            state.bucket = None
        else:
            # A sub-heading inside a section stays with its text.
            _add_text(state, plain + ":")
        return
    state.bucket = bucket
    state.seen_section = True


def _label(bucket: str, label: str, value: str, state: _State, parsed: ParsedCase) -> None:
    """A 'Label: value' line; section labels with no value open the section."""
    value = value.strip()
    if bucket == "ignore_line":
        parsed.ignored.append(_shorten(f"{_plain(label)}: {value}", 80))
        return
    if bucket == "authors":
        _set_authors(value, parsed)
        return
    if bucket == "citation":
        parsed.fields.setdefault("source_citation", _plain(value))
        return
    if bucket == "doi":
        doi = _DOI.search(value)
        if doi:
            parsed.fields.setdefault("source_doi", doi.group(1))
        return
    if bucket == "licence":
        parsed.fields.setdefault("licence", _shorten(_plain(f"{label}: {value}"), 300))
        return
    if bucket == "case_number":
        parsed.fields.setdefault("source_reference", _plain(value)[:200])
        return
    if bucket == "credits":
        state.bucket = "credits"
        if value:
            _add_text(state, value)
        return
    state.bucket = bucket
    state.seen_section = True
    if value:
        if bucket == "diagnosis":
            if not parsed.text("diagnosis"):
                parsed.fields["diagnosis"] = _plain(value)
            return
        _add_text(state, value)


def _set_authors(value: str, parsed: ParsedCase) -> None:
    rating = _RATING.search(value)
    if rating:
        parsed.rating = (int(rating.group(1)), int(rating.group(2)))
        value = value[: value.find("Rating")] if "Rating" in value else value
    date = _DATE_MDY.search(value)
    if date:
        month, day, year = (int(g) for g in date.groups())
        year = year + 2000 if year < 50 else year + 1900 if year < 100 else year
        with contextlib.suppress(ValueError):  # an impossible date is simply left out
            parsed.fields.setdefault("source_date", dt.date(year, month, day))
        value = value[: date.start()]
    value = re.sub(r"\s+\d+\s+(?=[A-Z])", " ", value)  # footnote numbers between names
    value = " ".join(_plain(value).split()).strip(" ,.")
    if value and not parsed.text("authors"):
        parsed.fields["authors"] = value[:500]


def _provenance(paragraph: str, lines: list[str], state: _State, parsed: ParsedCase) -> bool:
    """Authors, affiliations, citations, DOI and licence, wherever they appear."""
    plain = _plain(" ".join(lines))
    lowered = plain.lower()
    if state.bucket == "references":
        return False
    if re.search(r"companion case", lowered) and len(plain) < 300:
        parsed.fields["companion_note"] = _shorten(plain, 300)
        return True
    if lowered.startswith(("copyright", "©")) or (
        len(plain) < 600 and ("licen" in lowered and ("©" in plain or "open access" in lowered))
    ):
        parsed.fields.setdefault("licence", _shorten(plain, 300))
        doi = _DOI.search(plain)
        if doi:
            parsed.fields.setdefault("source_doi", doi.group(1))
        return True
    if len(lines) == 1 and len(plain) < 200:
        doi = _DOI.search(plain)
        if doi and (plain.startswith("http") or lowered.startswith("doi")):
            parsed.fields.setdefault("source_doi", doi.group(1))
            return True
        if re.match(r"^\d{4}-\d{3}[\dX]/", plain):  # an ISSN line
            parsed.ignored.append(_shorten(plain, 80))
            return True
    if len(plain) < 300 and all(_JOURNAL_CITATION.search(line) for line in lines):
        _append_field(parsed, "source_citation", "\n".join(_plain(line) for line in lines))
        return True
    names = [_plain(line).strip(" ,") for line in lines]
    if len(plain) < 400 and all(_INITIAL_NAME.match(_plain(line)) for line in lines):
        if not parsed.text("authors"):
            parsed.fields["authors"] = ", ".join(names)
        return True
    has_degrees = len(plain) < 300 and _DEGREES.search(plain) and not _AFFILIATION.search(plain)
    if has_degrees and (not state.seen_section or not parsed.text("authors")):
        _set_authors(plain, parsed)
        return True
    affiliation = "\n".join(_plain(line).lstrip("-* ") for line in lines)
    if len(plain) < 400 and _AFFILIATION.search(plain) and state.bucket in (None, "credits"):
        _append_field(parsed, "credits", affiliation)
        return True
    if state.bucket == "credits":
        _append_field(parsed, "credits", plain)
        return True
    if (
        len(plain) < 300
        and re.search(r"\b(are|is) (in|with|from) the department\b", lowered)
        and state.bucket != "discussion"
    ):
        _append_field(parsed, "credits", plain)
        return True
    return False


def _append_field(parsed: ParsedCase, name: str, value: str) -> None:
    current = parsed.text(name)
    if value and value not in current:
        parsed.fields[name] = f"{current}\n{value}".strip()


def _add_text(state: _State, paragraph: str) -> None:
    bucket = state.bucket or "preamble"
    if bucket == "answers" and state.last_answer is not None:
        state.answers[state.last_answer].append(paragraph)
        return
    chunks = state.sections.setdefault(bucket, [])
    # Rejoin a sentence split by a page break ("...calcification of" / "arteries and").
    if chunks and re.search(r"[a-z,\-]$", chunks[-1]) and re.match(r"^[a-z]", paragraph):
        joiner = "" if chunks[-1].endswith("-") else " "
        chunks[-1] = (
            chunks[-1].rstrip("-") + joiner + paragraph
            if joiner == ""
            else (chunks[-1] + joiner + paragraph)
        )
        return
    chunks.append(paragraph)


# ---------------------------------------------------------------------------------------
# From buckets to fields


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


def _finish(state: _State, parsed: ParsedCase) -> None:
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
            parsed.fields["diagnosis"] = _plain(first)[:300]
        else:
            rest = [first, *rest]
        parsed.unplaced.extend(_shorten(line, 160) for line in rest if line.strip())
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
            parsed.unplaced.extend(_shorten(p, 160) for p in sections["preamble"])
    if sections.get("images"):
        parsed.unplaced.extend(
            f"image description (use it for a figure's neutral caption): {_shorten(p, 120)}"
            for p in sections["images"]
        )
    if sections.get("credits"):
        _append_field(parsed, "credits", _text_of(sections["credits"]))
    if sections.get("ignore_section"):
        parsed.ignored.extend(_shorten(p, 80) for p in sections["ignore_section"])

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
        match = _LAB.match(paragraph.strip())
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
            word = _plain(item).strip(" -.").lower()
            if word and len(word) <= 100 and word not in parsed.keywords:
                parsed.keywords.append(word)
    if parsed.keywords:
        parsed.placed.append(f"keywords: {', '.join(parsed.keywords)}")


def _acr(chunks: list[str], parsed: ParsedCase) -> None:
    for chunk in chunks:
        text = _plain(chunk)
        code = _ACR_CODE.search(text)
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
            for value, pattern in _REGION_WORDS:
                if pattern.search(field_match.group(1)):
                    parsed.fields["region"] = value
                    parsed.placed.append(f"region: {value} (from the anatomic field)")
                    break
        if not (code or category or field_match):
            parsed.unplaced.append(f"ACR line: {_shorten(text, 120)}")


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
        citation = _plain(citation.replace("[PubMed]", "")).strip()
        if not citation:
            continue
        doi = _DOI.search(citation)
        url = _URL.search(citation)
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
                name = _plain(re.sub(r"^([-*]|\d+\.)\s*", "", line))
                parsed.differentials.append(ParsedDifferential(diagnosis=_shorten(name, 200)))
        else:
            text = _plain(chunk)
            first = _sentences(text)[0] if text else ""
            parsed.differentials.append(
                ParsedDifferential(diagnosis=_shorten(first, 200), note=text)
            )
    if parsed.differentials:
        parsed.placed.append(f"differential: {len(parsed.differentials)} item(s)")


def _questions(chunks: list[str], state: _State, parsed: ParsedCase) -> None:
    number = 0
    for chunk in chunks:
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            match = _QUESTION.match(line)
            if match:
                number = int(match.group(1) or match.group(2))
                parsed.questions.append(
                    ParsedQuestion(number=number, prompt=_plain(match.group(3)))
                )
            elif line.startswith(("-", "*")) or not parsed.questions:
                number += 1
                parsed.questions.append(ParsedQuestion(number=number, prompt=_plain(line[1:])))
            else:
                parsed.questions[-1].prompt += " " + _plain(line)
    for question in parsed.questions:
        answer = state.answers.pop(question.number, None)
        if answer:
            question.explanation = "\n\n".join(_plain(a) for a in answer if a.strip())
    for number, answer in sorted(state.answers.items()):
        parsed.unplaced.append(
            f"answer {number} has no question: {_shorten(' '.join(answer), 120)}"
        )
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


def _titles(state: _State, parsed: ParsedCase) -> None:
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
        parsed.fields["known_title"] = _shorten(known, 200)
        parsed.placed.append("known_title: " + ("the title" if state.title else "the diagnosis"))


def _presentation(parsed: ParsedCase) -> None:
    if parsed.text("presentation"):
        return
    history = parsed.text("full_history")
    if history:
        parsed.fields["presentation"] = _sentences(history.split("\n\n")[0])[0]
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
        match = _AGE_SEX.search(parsed.text(name))
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
        ((m.start(), code) for code, pattern in _MODALITY_WORDS if (m := pattern.search(seen))),
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
