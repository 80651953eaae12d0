"""Import a write-up as a draft case, with a report of what went where."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from teachingfile import services as case_services
from teachingfile.importing.parser import ParsedCase, parse_document
from teachingfile.importing.reading import ImportRejected, decode_document
from teachingfile.models import Case
from teachingfile.services import AnswerSpec, CaseSpec, ChoiceSpec, FigureSpec, QuestionSpec

# Fields the parser may fill; anything else on Case keeps its default.
_CASE_FIELDS = [
    "unknown_title",
    "presentation",
    "patient_age",
    "patient_sex",
    "modalities",
    "region",
    "category",
    "known_title",
    "full_history",
    "technique",
    "findings",
    "diagnosis",
    "discussion",
    "teaching_points",
    "follow_up",
    "acr_code",
    "companion_note",
    "authors",
    "credits",
    "source_citation",
    "source_doi",
    "source_date",
    "source_reference",
    "licence",
]
_REQUIRED = ["unknown_title", "presentation", "known_title", "diagnosis"]


@dataclass
class ImportReport:
    filename: str
    public_id: str = ""
    error: str = ""
    placed: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    def lines(self) -> list[str]:
        """The report as plain lines, for the command and the admin page."""
        if self.error:
            return [f"{self.filename}: NOT IMPORTED - {self.error}"]
        out = [f"{self.filename}: imported as draft {self.public_id}"]
        out += [f"  placed   {line}" for line in self.placed]
        out += [f"  UNPLACED {_one_line(line, 160)}" for line in self.unplaced]
        out += [f"  to do    {line}" for line in self.notes]
        out += [f"  ignored  {line}" for line in self.ignored]
        return out


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def import_case_file(
    *, data: bytes, filename: str, owner: AbstractBaseUser | None = None
) -> ImportReport:
    """Import one write-up; a refused file gives a report with the error and writes nothing."""
    try:
        text = decode_document(data, filename=filename)
        parsed = parse_document(text)
        if not any(parsed.text(name) for name in ("presentation", "full_history", "diagnosis")):
            raise ImportRejected(
                f"{filename} has no history, case report or diagnosis that could be recognised; "
                "is it a case write-up?"
            )
        case = case_from_parsed(parsed=parsed, owner=owner, filename=filename)
    except ImportRejected as exc:
        return ImportReport(filename=filename, error=exc.message)
    except ValidationError as exc:
        # The transaction rolled back: nothing of this file was written.
        return ImportReport(filename=filename, error="; ".join(exc.messages))
    return ImportReport(
        filename=filename,
        public_id=case.public_id,
        placed=parsed.placed,
        unplaced=parsed.unplaced,
        ignored=parsed.ignored,
        notes=parsed.notes,
    )


def case_spec(parsed: ParsedCase) -> CaseSpec:
    """The parsed write-up as the plain description case_build writes."""
    fields = {
        name: parsed.fields[name]
        for name in _CASE_FIELDS
        if name in parsed.fields and parsed.fields[name] not in (None, "")
    }
    for name, value in list(fields.items()):
        limit = getattr(Case._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            fields[name] = value[: limit - 1] + "…"
            # The whole text stays with the author: nothing of the source is lost.
            parsed.unplaced.append(f"{name} in full: {value}")
            parsed.notes.append(f"{name} was cut to {limit} characters")
    ratings = []
    if parsed.rating:
        difficulty, quality = parsed.rating
        if 1 <= difficulty <= 5 and 1 <= quality <= 5:
            ratings.append(
                {
                    "rater_label": "Source teaching file",
                    "difficulty": difficulty,
                    "quality": quality,
                }
            )
            parsed.placed.append(f"rating: difficulty {difficulty}, quality {quality} (source)")
    return CaseSpec(
        fields=fields,
        keywords=parsed.keywords,
        lab_values=[
            {
                "name": lab.name,
                "value": lab.value,
                "unit": lab.unit,
                "reference_range": lab.reference_range,
                "shown_before_reveal": lab.before_reveal,
            }
            for lab in parsed.lab_values
        ],
        differentials=[{"diagnosis": d.diagnosis, "note": d.note} for d in parsed.differentials],
        references=[
            {"citation": r.citation, "doi": r.doi, "pmid": r.pmid, "url": r.url}
            for r in parsed.references
        ],
        ratings=ratings,
        figures=[
            FigureSpec(
                label=figure.label,
                caption=figure.caption,
                image=figure.image,
                image_name=figure.image_name,
            )
            for figure in parsed.figures
        ],
        questions=[
            QuestionSpec(
                prompt=q.prompt,
                kind=q.kind,
                explanation=q.explanation,
                choices=[
                    ChoiceSpec(text=c.text, is_correct=c.correct, rationale=c.rationale)
                    for c in q.choices
                ],
                accepted=[AnswerSpec(text=text) for text in q.accepted],
            )
            for q in parsed.questions
        ],
    )


def case_from_parsed(*, parsed: ParsedCase, owner: AbstractBaseUser | None, filename: str) -> Case:
    """Write a parsed write-up as one draft case with its lists; never published."""
    spec = case_spec(parsed)
    # Everything no field took stays on the draft, for the author only.
    spec.fields["unplaced"] = "\n\n".join([*parsed.unplaced, *parsed.ignored])
    # A draft may lack what only a human can write; the admin asks for it before review.
    missing = [name for name in _REQUIRED if not spec.fields.get(name)]
    case = case_services.case_build(
        spec=spec, owner=owner, note=f"Imported from {filename[:200]}.", exclude=missing
    )
    if missing:
        parsed.notes.append("still empty, required before review: " + ", ".join(missing))
    return case
