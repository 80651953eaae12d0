"""Words and shapes the write-up parser recognises: headings, labels, captions, citations.

Also the small text helpers every part of the parser uses (cleaning, plain text,
paragraphs, sentences).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from teachingfile.models import Region
from teachingfile.vocab import DicomModality

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
    "hx": "presentation",
    "case history": "presentation",
    "clinical information": "presentation",
    "clinical details": "presentation",
    "patient data": "patient_data",
    "patient details": "patient_data",
    "labs": "labs",
    "laboratory": "labs",
    "laboratory values": "labs",
    "laboratory findings": "labs",
    "lab values": "labs",
    "question": "questions",
    "questions": "questions",
    "answer": "answers",
    "answers": "answers",
    "findings": "findings",
    "imaging description": "findings",
    "image findings": "findings",
    "the answer": "answers",
    "correct answer": "answers",
    "rationale": "rationale",
    "rationales": "rationale",
    "explanation": "rationale",
    "explanations": "rationale",
    "dx": "diagnosis",
    "ddx": "differential",
    "case discussion": "discussion",
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
HEADING_NAMES = list(HEADINGS)
# Buckets whose heading text is a one-line value rather than a section of paragraphs.
LINE_VALUES = {"authors", "citation", "doi", "licence", "case_number", "ignore_line"}

# Website furniture and publisher boilerplate: dropped, and listed in the report.
BOILERPLATE = re.compile(
    r"^(search for similar cases|edit this case|add comments about this case|return to the "
    r"teaching file|view (main|second|third|\w+) image|full history/diagnosis is available|"
    r"available online at|sciencedirect$|journal homepage|\\?\*?\s*corresponding author\.?$|"
    r"e-?mail address|competing interests|-{3,}$|_{3,}$)",
    re.IGNORECASE,
)
MD_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
BOLD_LABEL = re.compile(r"^\*\*(?P<label>[^*]{1,60}?)\s*(?::\s*\*\*|\*\*\s*:)\s*(?P<rest>.*)$")
BOLD_LINE = re.compile(r"^\*\*(?P<label>[^*]{1,60}?)\*\*\s*$")
PLAIN_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9 /()\-]{1,40}?)\s*:\s*(?P<rest>.*)$")
CAPTION = re.compile(
    r"^(?:\*\*)?(?P<label>(?:Figure|Fig\.?)\s*(?P<num>\d{1,2}(?-i:[A-Z])?|(?-i:[A-Z])))\.?(?:\*\*)?"
    r"\s*[-–—:.]?\s*(?:\*\*)?\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
QUESTION = re.compile(r"^(?:[-*]\s*)?(?:Q(?:uestion)?\s*(\d+)|(\d+))\s*[.:)]\s*(.+)$", re.I)
ANSWER_LABEL = re.compile(r"^answer\s*(\d+)$", re.IGNORECASE)
# "A. Graves disease", "(b) Goitre", "C) ..." : one lettered choice of a question.
CHOICE = re.compile(r"^(?:[-*]\s*)?\(?(?P<letter>[A-Ja-j])[.)]\s+(?P<text>\S.*)$")
# "D", "D.", "D. Painless thyroiditis", "(D) ..." after an "Answer:" label.
ANSWER_LETTER = re.compile(r"^\(?(?P<letter>[A-Ja-j])\b[.)]?(?:\s+(?P<text>.*))?$")
# A title that names a series, not the case ("Case 14872", "Case of the Week - Week 37").
SERIES_TITLE = re.compile(
    r"^(?:.*\bcase of the (?:week|month|day)\b.*|(?:case|item|quiz|question|unknown)"
    r"\s*(?:no\.?\s*)?#?\s*\d+)$",
    re.IGNORECASE,
)
CASE_NUMBER_LINE = re.compile(r"^Case\s+(?:No\.?\s*)?#?\s*(\d+)$", re.IGNORECASE)
DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\]\[()\"']+[^\s<>\]\[()\"'.,;])")
URL = re.compile(r"https?://[^\s<>)\]]+")
JOURNAL_CITATION = re.compile(r"\b(19|20)\d{2}\s*[;,]\s*\d+\s*\(\s*\d+\s*\)\s*:\s*\d+")
AGE_SEX = re.compile(
    r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]old\s+(woman|man|lady|gentleman|male|female|boy|girl)",
    re.IGNORECASE,
)
LAB = re.compile(
    r"^(?P<name>[A-Z][A-Za-z ]{2,40}):\s*(?P<value>[<>]?\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-zµ/%]+)?"
    r"\s*(?:\((?:nl|normal|ref(?:erence)?)\.?:?\s*(?P<range>[^)]+)\))?\s*$"
)
RATING = re.compile(r"#D(\d)\b.*?#Q(\d)\b")
RATING_LINE = re.compile(r"^(?:rating:?\s*)?#D(\d)\s*#Q(\d)$", re.IGNORECASE)
DATE_MDY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
ACR_CODE = re.compile(r"\b\d{1,2}\.\d{1,4}\b")
DEGREES = re.compile(r"\b(M\.?D\.?|Ph\.?D\.?|MBBS|FRCR|DO)\b")
AFFILIATION = re.compile(r"\b(Department of|University|Hospital|Institute|College|Clinic)\b")
INITIAL_NAME = re.compile(r"^[A-Z]\.\s*(?:[A-Z]\.\s*)?[A-Z][\w'’-]+,?$")
SENTENCE_END = re.compile(r"(?<!\bFig)(?<!\bDr)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=\s+[A-Z(])")

MODALITY_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        DicomModality.NM,
        re.compile(r"bone scan|scintigra|Tc-?99m|\bMDP\b|nuclear medicine|SPECT", re.I),
    ),
    (DicomModality.PT, re.compile(r"\bPET\b|FDG")),
    (DicomModality.CT, re.compile(r"\bCT\b|computed tomograph", re.I)),
    (DicomModality.MR, re.compile(r"\bMRI?\b|magnetic resonance", re.I)),
    (DicomModality.DX, re.compile(r"radiograph|X-ray|plain film", re.I)),
    (DicomModality.US, re.compile(r"ultraso|sonograph", re.I)),
    (DicomModality.MG, re.compile(r"mammogra", re.I)),
    (DicomModality.RF, re.compile(r"fluoroscop", re.I)),
]
REGION_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (Region.MUSCULOSKELETAL, re.compile(r"skeletal|musculoskeletal|bone|joint", re.I)),
    (Region.CHEST, re.compile(r"chest|lung|thora", re.I)),
    (Region.BREAST, re.compile(r"breast", re.I)),
    (Region.ABDOMEN, re.compile(r"abdom|gastro|liver|renal|genitourinary", re.I)),
    (Region.NEURO, re.compile(r"brain|neuro", re.I)),
    (Region.SPINE, re.compile(r"spine|spinal", re.I)),
]


def clean_markup(text: str) -> str:
    """Flatten the inline HTML and escapes that PDF-to-Markdown tools leave behind."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"<sup>.*?</sup>", "", text, flags=re.IGNORECASE | re.DOTALL)
    text = re.sub(r"<((?:https?|mailto):[^>\s]+)>", r"\1", text)
    text = re.sub(r"<([^<>\s@]+@[^<>\s]+)>", r"\1", text)  # an e-mail address
    text = re.sub(r"</?[a-zA-Z][^>]{0,200}>", "", text)
    text = re.sub(r"\\([\\_*\[\]()#`>-])", r"\1", text)
    # [text](url): keep the words; the address of a reference stays in its citation text.
    text = re.sub(r"\[([^\]]+)\]\((?:https?|mailto):[^)\s]+\)", r"\1", text)
    return text


def plain_text(text: str) -> str:
    """Text without Markdown emphasis and outer whitespace (for labels and values)."""
    return re.sub(r"[*_`]+", "", text).strip()


def norm_heading(text: str) -> str:
    text = plain_text(text).lower()
    text = re.sub(r"\(s\)", "s", text)
    text = re.sub(r"[^a-z0-9/ -]+", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=2048)
def heading_bucket(text: str) -> str | None:
    """The bucket for a heading, allowing small typos ("Discusion", "Refrences")."""
    name = norm_heading(text)
    if not name or len(name) > 40:
        return None
    if name in HEADINGS:
        return HEADINGS[name]
    if len(name) < 5:
        return None
    found = process.extractOne(name, HEADING_NAMES, scorer=fuzz.ratio, score_cutoff=88)
    return HEADINGS[found[0]] if found else None


def split_paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def sentences(text: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
