"""Import a write-up as a draft case, with a report of what went where."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from teachingfile import services as case_services
from teachingfile.imaging import ImageRejected
from teachingfile.importing.banks import bank_import
from teachingfile.importing.decoding import (
    ImportRejected,
    check_size,
    decode_document,
    suffix_of,
)
from teachingfile.importing.documents import DocumentImage, read_docx, read_html, read_pdf
from teachingfile.importing.gift import read_gift
from teachingfile.importing.mirc import is_mirc_xml, read_mirc
from teachingfile.importing.moodle import is_moodle_xml, read_moodle_xml
from teachingfile.importing.parsed import ParsedCase, ParsedFigure
from teachingfile.importing.parser import parse_document
from teachingfile.models import Case, Question
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
    # A question bank makes one draft per question: all their ids (public_id is the first).
    public_ids: list[str] = field(default_factory=list)
    # Set when the questions of a bank joined an existing case instead.
    joined: bool = False

    @property
    def ok(self) -> bool:
        return not self.error

    def lines(self) -> list[str]:
        """The report as plain lines, for the command and the admin page."""
        if self.error:
            return [f"{self.filename}: NOT IMPORTED - {self.error}"]
        ids = ", ".join(self.public_ids or [self.public_id])
        done = "questions added to" if self.joined else "imported as draft"
        out = [f"{self.filename}: {done} {ids}"]
        out += [f"  placed   {line}" for line in self.placed]
        out += [f"  UNPLACED {_one_line(line, 160)}" for line in self.unplaced]
        out += [f"  to do    {line}" for line in self.notes]
        out += [f"  ignored  {_one_line(line, 160)}" for line in self.ignored]
        return out


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def import_case_file(
    *,
    data: bytes,
    filename: str,
    owner: User | None = None,
    case: Case | None = None,
) -> ImportReport:
    """Import one file; a refused file gives a report with the error and writes nothing.

    Write-ups (Markdown, text, Word, PDF, HTML) and MIRC documents become one draft case;
    question banks (Moodle XML, GIFT) one draft per question, or join ``case``.
    """
    try:
        suffix = suffix_of(filename)
        check_size(data, filename=filename)
        if suffix == ".gift" or (suffix == ".xml" and is_moodle_xml(data)):
            return _import_bank(data=data, filename=filename, owner=owner, case=case)
        if case is not None:
            raise ImportRejected(
                f"{filename}: only question banks (Moodle XML, GIFT) join an existing case."
            )
        parsed = _parse(data, filename=filename, suffix=suffix)
        if not any(parsed.text(name) for name in ("presentation", "full_history", "diagnosis")):
            raise ImportRejected(
                f"{filename} has no history, case report or diagnosis that could be recognised; "
                "is it a case write-up?"
            )
        built = case_from_parsed(parsed=parsed, owner=owner, filename=filename)
    except ImportRejected as exc:
        return ImportReport(filename=filename, error=exc.message)
    except ImageRejected as exc:
        return ImportReport(filename=filename, error=f"{filename}: an image was refused: {exc}")
    except ValidationError as exc:
        # The transaction rolled back: nothing of this file was written.
        return ImportReport(filename=filename, error="; ".join(exc.messages))
    return ImportReport(
        filename=filename,
        public_id=built.public_id,
        public_ids=[built.public_id],
        placed=parsed.placed,
        unplaced=parsed.unplaced,
        ignored=parsed.ignored,
        notes=parsed.notes,
    )


def _parse(data: bytes, *, filename: str, suffix: str) -> ParsedCase:
    """The file read into a parsed case, with the images a document carries."""
    if suffix == ".zip" or (suffix == ".xml" and is_mirc_xml(data)):
        return read_mirc(data, filename=filename)
    if suffix == ".xml":
        raise ImportRejected(f"{filename} is neither a MIRCdocument nor a Moodle XML quiz.")
    if suffix in (".docx", ".pdf"):
        document = (read_docx if suffix == ".docx" else read_pdf)(data, filename=filename)
        parsed = parse_document(document.text)
        _attach_images(parsed, document.images)
        return parsed
    text = decode_document(data, filename=filename)
    if suffix in (".html", ".htm"):
        text = read_html(text)
    return parse_document(text)


def _attach_images(parsed: ParsedCase, images: list[DocumentImage]) -> None:
    """Images in document order go to the figures in caption order; extra ones get their own."""
    for index, image in enumerate(images):
        if index < len(parsed.figures):
            figure = parsed.figures[index]
        else:
            figure = ParsedFigure(label=f"Image {index + 1}", caption="")
            parsed.figures.append(figure)
        figure.image, figure.image_name = image.data, image.name
    if images:
        parsed.placed.append(f"images: {len(images)} from the document, through the image pipeline")


def _import_bank(
    *, data: bytes, filename: str, owner: User | None, case: Case | None
) -> ImportReport:
    if filename.lower().endswith(".gift"):
        questions = read_gift(decode_document(data, filename=filename), filename=filename)
    else:
        questions = read_moodle_xml(data, filename=filename)
    cases = bank_import(questions=questions, owner=owner, filename=filename, case=case)
    where = f"added to {case.public_id}" if case else "one draft each"
    return ImportReport(
        filename=filename,
        public_id=cases[0].public_id,
        public_ids=[c.public_id for c in cases],
        joined=case is not None,
        placed=[f"questions: {len(questions)} ({where})"]
        + [f"{q.name}: {Question.Kind(q.spec.kind).label.lower()}" for q in questions],
        unplaced=[line for q in questions for line in q.unplaced],
        notes=[note for q in questions for note in q.notes]
        + ([] if case else ["each draft needs its presentation and images"]),
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
                alt_text=f"{figure.label} (imported image: describe it without the diagnosis)"
                if figure.image
                else "",
                image=figure.image,
                image_name=figure.image_name,
                annotated=figure.annotated,
                annotated_name=figure.annotated_name,
                optional_image=True,
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


def case_from_parsed(*, parsed: ParsedCase, owner: User | None, filename: str) -> Case:
    """Write a parsed write-up as one draft case with its lists; never published."""
    spec = case_spec(parsed)
    # Everything no field took stays on the draft, for the author only.
    spec.fields["unplaced"] = "\n\n".join([*parsed.unplaced, *parsed.ignored])
    # A draft may lack what only a human can write; the admin asks for it before review.
    missing = [name for name in _REQUIRED if not spec.fields.get(name)]
    case = case_services.case_build(
        spec=spec, owner=owner, note=f"Imported from {filename[:200]}.", exclude=missing
    )
    for figure in spec.figures:
        if figure.refused:
            parsed.notes.append(f"{figure.label}: its image was refused ({figure.refused})")
    if missing:
        parsed.notes.append("still empty, required before review: " + ", ".join(missing))
    return case
