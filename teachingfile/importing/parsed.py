"""What the parser hands to the import service: fields, lists and the report."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParsedChoice:
    text: str
    correct: bool = False
    rationale: str = ""


@dataclass
class ParsedQuestion:
    number: int
    prompt: str
    explanation: str = ""
    accepted: list[str] = field(default_factory=list)
    kind: str = "free_text"
    choices: list[ParsedChoice] = field(default_factory=list)


@dataclass
class ParsedFigure:
    label: str
    caption: str
    # Image bytes found in the document (PDF, Word, MIRC zip); None waits for an upload.
    image: bytes | None = None
    image_name: str = ""
    annotated: bytes | None = None
    annotated_name: str = ""


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
    before_reveal: bool = False


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


@dataclass
class State:
    bucket: str | None = None
    seen_section: bool = False
    title: str = ""
    sections: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[int, list[str]] = field(default_factory=dict)
    last_answer: int | None = None
    # Questions made of lettered choices, and where their stem (the vignette) was read.
    choice_questions: list[ParsedQuestion] = field(default_factory=list)
    stem_bucket: str = ""
