"""Import a write-up as a draft case, with a report of what went where."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from teachingfile import services as case_services
from teachingfile.importing.parser import ParsedCase, parse_document
from teachingfile.importing.reading import ImportRejected, decode_document
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Rating,
    Reference,
    StatusChange,
)

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
        out += [f"  UNPLACED {line}" for line in self.unplaced]
        out += [f"  to do    {line}" for line in self.notes]
        out += [f"  ignored  {line}" for line in self.ignored]
        return out


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


@transaction.atomic
def case_from_parsed(*, parsed: ParsedCase, owner: AbstractBaseUser | None, filename: str) -> Case:
    """Write a parsed write-up as one draft case with its lists; never published."""
    case = Case(public_id=case_services.next_public_id(), owner=owner, status=Case.Status.DRAFT)
    for name in _CASE_FIELDS:
        if name in parsed.fields and parsed.fields[name] not in (None, ""):
            setattr(case, name, parsed.fields[name])
    max_lengths = {
        f.name: f.max_length
        for f in Case._meta.concrete_fields
        if getattr(f, "max_length", None) and isinstance(getattr(case, f.name), str)
    }
    for name, limit in max_lengths.items():
        value = getattr(case, name)
        if len(value) > limit:
            setattr(case, name, value[: limit - 1] + "…")
            parsed.notes.append(f"{name} was cut to {limit} characters")
    # A draft may lack what only a human can write; the admin asks for it before review.
    missing = [name for name in _REQUIRED if not getattr(case, name)]
    case.full_clean(exclude=["owner", *missing])
    case.save()
    StatusChange.objects.create(
        case=case,
        from_status="",
        to_status=Case.Status.DRAFT,
        by=owner,
        note=f"Imported from {filename[:200]}.",
    )
    if parsed.keywords:
        case.keywords.set(
            [Keyword.objects.get_or_create(name=name[:100])[0] for name in parsed.keywords]
        )
    LabValue.objects.bulk_create(
        LabValue(
            case=case,
            order=i,
            name=lab.name,
            value=lab.value,
            unit=lab.unit,
            reference_range=lab.reference_range,
        )
        for i, lab in enumerate(parsed.lab_values)
    )
    DifferentialDiagnosis.objects.bulk_create(
        DifferentialDiagnosis(case=case, order=i, diagnosis=d.diagnosis, note=d.note)
        for i, d in enumerate(parsed.differentials)
    )
    Reference.objects.bulk_create(
        Reference(case=case, order=i, citation=r.citation, doi=r.doi, pmid=r.pmid, url=r.url)
        for i, r in enumerate(parsed.references)
    )
    # Captions arrive without their images: each becomes a reveal-stage figure with no
    # file yet, which the admin's figure form asks for before the case can be saved again.
    Figure.objects.bulk_create(
        Figure(
            case=case,
            order=i,
            label=figure.label[:40],
            stage=Figure.Stage.REVEAL,
            alt_text=f"{figure.label} (image to be uploaded)"[:300],
            caption=figure.caption,
        )
        for i, figure in enumerate(parsed.figures, start=1)
    )
    for i, parsed_question in enumerate(parsed.questions, start=1):
        question = Question.objects.create(
            case=case,
            order=i,
            kind=Question.Kind.FREE_TEXT,
            prompt=parsed_question.prompt,
            explanation=parsed_question.explanation,
        )
        AcceptedAnswer.objects.bulk_create(
            AcceptedAnswer(question=question, text=text[:300]) for text in parsed_question.accepted
        )
    if parsed.rating:
        difficulty, quality = parsed.rating
        if 1 <= difficulty <= 5 and 1 <= quality <= 5:
            Rating.objects.create(
                case=case,
                rater_label="Source teaching file",
                difficulty=difficulty,
                quality=quality,
            )
            parsed.placed.append(f"rating: difficulty {difficulty}, quality {quality} (source)")
    if missing:
        parsed.notes.append("still empty, required before review: " + ", ".join(missing))
    from teachingfile.search.services import index_case

    index_case(case)
    return case
