"""Writes to the case library that touch several rows: ids, the review workflow, figures."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from people import audit
from teachingfile import roles
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    Choice,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Rating,
    Reference,
    Series,
    StatusChange,
)

if TYPE_CHECKING:
    from teachingfile.imaging import ProcessedImage

_ID_NUMBER = re.compile(r"^tf-(\d+)$")

Status = Case.Status


def next_public_id() -> str:
    """The next neutral id (tf-0006 after tf-0005), never derived from the content."""
    from django.db.models.functions import Length

    # Longest then greatest string is the greatest number (ids are tf- and digits), so
    # the database hands over the highest first instead of every id (imports call this
    # once per case).
    ids = Case.objects.order_by(Length("public_id").desc(), "-public_id")
    for public_id in ids.values_list("public_id", flat=True).iterator(chunk_size=50):
        match = _ID_NUMBER.match(public_id)
        if match:
            return f"tf-{int(match.group(1)) + 1:04d}"
    return "tf-0001"


def _may_review(user: User, case: Case) -> bool:
    # A reviewer is a colleague: nobody reviews their own case (editors publish directly).
    return roles.is_faculty(user) and (case.owner_id != user.pk or roles.is_editor(user))


# What each target status is called on its button (review page, authoring panel).
TRANSITION_LABELS = {
    Status.IN_REVIEW: "Submit for review",
    Status.PUBLISHED: "Publish",
    Status.DRAFT: "Return to draft",
    Status.RETIRED: "Retire",
}


def allowed_transitions(case: Case, user: User) -> list[str]:
    """Statuses this user may move the case to now, in the order the UI offers them."""
    allowed: list[str] = []
    if case.status == Status.DRAFT:
        if roles.may_edit_case(user, case):
            allowed.append(Status.IN_REVIEW)
        if roles.is_editor(user):
            allowed.append(Status.PUBLISHED)
    elif case.status == Status.IN_REVIEW:
        if _may_review(user, case):
            allowed += [Status.PUBLISHED, Status.DRAFT]
        elif roles.may_edit_case(user, case):
            allowed.append(Status.DRAFT)  # the author withdraws it
    elif case.status == Status.PUBLISHED:
        if roles.is_editor(user):
            allowed += [Status.RETIRED, Status.DRAFT]
    elif case.status == Status.RETIRED and roles.may_edit_case(user, case):
        allowed.append(Status.DRAFT)
    return allowed


def case_touch(case: Case) -> None:
    """Record that a case's content changed: a new version, so caches read it afresh.

    Call it after the case's rows (figures, questions, choices, labs...) are written:
    `quiz.reading.case_content` caches those rows under the version and `updated_at`.
    """
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=now)
    case.refresh_from_db(fields=["version", "updated_at"])


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to_status: str,
    by: User,
    note: str = "",
    spoilers_checked: bool = False,
) -> StatusChange:
    """Move a case through draft -> in review -> published -> retired, recording who and why.

    Leaving draft needs the author's acknowledgement of any spoiler warning
    (`spoilers_checked`), given with this very request; the acknowledgement is recorded
    in the status change's note.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    if to_status not in allowed_transitions(case, by):
        raise PermissionDenied(
            f"You cannot move {case.public_id} from {case.get_status_display().lower()} "
            f"to {Status(to_status).label.lower()}."
        )
    if to_status in (Status.IN_REVIEW, Status.PUBLISHED):
        case_check_complete(case)
    if case.status == Status.DRAFT and to_status in (Status.IN_REVIEW, Status.PUBLISHED):
        from teachingfile.spoilers import case_spoilers

        found = case_spoilers(case)
        words = sorted({word for warning in found for word in warning.words}, key=str.lower)
        if words and not spoilers_checked:
            raise ValidationError(
                f"{case.public_id} may give its diagnosis away before the reveal "
                f'({", ".join(words)}): check the warnings and confirm "I checked these".'
            )
        if words:
            note = f"{note}\n\nSpoiler warnings checked by the author: {', '.join(words)}."
            note = note.strip()
    returning = case.status == Status.IN_REVIEW and to_status == Status.DRAFT
    if returning and case.owner_id != by.pk and not note.strip():
        raise ValidationError("Say what needs changing when you send a case back.")
    change = StatusChange(case=case, from_status=case.status, to_status=to_status, by=by, note=note)
    change.full_clean()
    change.save()
    audit.case_status_changed(change)
    case.status = to_status
    fields = ["status", "version", "updated_at"]
    if to_status == Status.PUBLISHED:
        case.published_at = timezone.now()
        fields.append("published_at")
    case.version = F("version") + 1
    case.save(update_fields=fields)
    case.refresh_from_db(fields=["version"])
    from teachingfile.search.services import index_case

    index_case(case)
    return change


def case_check_complete(case: Case) -> None:
    """Refuse to send a case on that a resident could not take."""
    problems = []
    if not case.questions.exists():
        problems.append("it has no question")
    if not case.diagnosis.strip():
        problems.append("it has no diagnosis")
    for question in case.questions.prefetch_related("choices", "accepted_answers"):
        if question.is_choice and not any(c.is_correct for c in question.choices.all()):
            problems.append(f"question {question.order} has no correct choice")
        if question.kind == question.Kind.FREE_TEXT and not question.accepted_answers.all():
            problems.append(f"question {question.order} has no accepted answer")
        if question.is_region and not (question.regions and question.region_figure_id):
            problems.append(f"question {question.order} has no target region drawn")
    if problems:
        raise ValidationError(f"{case.public_id} is not ready: " + "; ".join(problems) + ".")


def _save_bytes(data: bytes, ext: str, written: list[str]) -> str:
    from teachingfile.imaging import generate_unguessable_name

    name = default_storage.save(generate_unguessable_name(ext), ContentFile(data))
    written.append(name)
    return name


def delete_files(names: Sequence[str]) -> None:
    """Remove files written for a save that then failed, so nothing is left half-done."""
    for name in names:
        default_storage.delete(name)


def upload_options() -> dict[str, Any]:
    """Keyword arguments for ``process_upload`` from the settings (limits, profile options)."""
    from teachingfile.imaging.deidentify import DeidOptions
    from teachingfile.imaging.validation import Limits

    return {
        "limits": Limits(
            max_bytes=settings.IMAGE_MAX_BYTES,
            max_frames=settings.IMAGE_MAX_FRAMES,
            zip_max_members=settings.IMAGE_ZIP_MAX_MEMBERS,
            max_total_pixels=settings.IMAGE_MAX_TOTAL_PIXELS,
            time_budget_seconds=settings.IMAGE_TIME_BUDGET_SECONDS,
        ),
        "deid": DeidOptions(
            retain_patient_characteristics=settings.DICOM_RETAIN_PATIENT_CHARACTERISTICS,
            retain_modified_dates=settings.DICOM_RETAIN_MODIFIED_DATES,
            date_shift_secret=settings.SECRET_KEY,
        ),
    }


def figure_store_image(
    figure: Figure,
    item: ProcessedImage,
    written: list[str],
    sources: dict[int, str] | None = None,
) -> None:
    """Write a processed image and its derivatives and point the figure at them (unsaved).

    ``sources`` is shared by the frames of one upload: the frames of a multi-frame DICOM
    carry the same de-identified file, which is stored once and referenced by each.
    """
    figure.image.name = _save_bytes(item.original, item.original_ext, written)
    figure.display.name = _save_bytes(item.display, item.display_ext, written)
    figure.thumbnail.name = _save_bytes(item.thumbnail, item.thumbnail_ext, written)
    figure.width, figure.height = item.width, item.height
    figure.source_format = item.source_format
    figure.dicom_info = item.dicom or {}
    figure.presets = {
        name: _save_bytes(data, item.display_ext, written)
        for name, data in (item.presets or {}).items()
    }
    if item.viewer_source:
        from teachingfile.imaging.viewer_source import EXT

        figure.viewer_source.name = _save_bytes(item.viewer_source, EXT, written)
    if item.deidentified_dicom:
        sources = {} if sources is None else sources
        key = id(item.deidentified_dicom)
        if key not in sources:
            sources[key] = _save_bytes(item.deidentified_dicom, "dcm", written)
        figure.source_file.name = sources[key]


@transaction.atomic
def figure_build_viewer_source(*, figure: Figure) -> bool:
    """Give a DICOM figure stored before viewer sources existed its source; False if none.

    The window preset files made for it then are no longer offered, and are removed.
    """
    from teachingfile.imaging.viewer_source import EXT, build_from_dicom

    if figure.viewer_source or not figure.source_file:
        return False
    with figure.source_file.open("rb") as handle:
        raw = handle.read()
    data = build_from_dicom(raw, int(figure.dicom_info.get("frame_index") or 0), figure.position)
    written: list[str] = []
    retired = [name for name in figure.presets.values() if name]
    try:
        figure.viewer_source.name = _save_bytes(data, EXT, written)
        figure.presets = {}
        figure.save(update_fields=["viewer_source", "presets"])
    except Exception:
        delete_files(written)
        raise
    transaction.on_commit(lambda: delete_files(retired))
    return True


def figure_store_annotated(figure: Figure, item: ProcessedImage, written: list[str]) -> None:
    figure.annotated_image.name = _save_bytes(item.original, item.original_ext, written)
    figure.annotated_display.name = _save_bytes(item.display, item.display_ext, written)


@transaction.atomic
def figure_set_image(
    *,
    figure: Figure,
    data: bytes | IO[bytes],
    filename: str,
    annotated: bool = False,
    allow_burned_in: bool = False,
) -> Figure:
    """Validate, clean and store one image (or its annotated version) on a figure.

    Raises ImageRejected before anything is written; an upload with several frames is
    refused here (figures_from_upload turns a series into figures).
    """
    from teachingfile.imaging import ImageRejected, process_upload

    items = process_upload(
        data, filename=filename, allow_burned_in=allow_burned_in, **upload_options()
    )
    if len(items) != 1:
        raise ImageRejected(
            f"{filename} holds {len(items)} images; upload a series as its own figures."
        )
    written: list[str] = []
    try:
        if annotated:
            figure_store_annotated(figure, items[0], written)
        else:
            figure_store_image(figure, items[0], written)
        figure.full_clean()
        figure.save()
        case_touch(figure.case)
    except Exception:
        delete_files(written)
        raise
    return figure


@transaction.atomic
def figure_add_frames(
    *,
    figure: Figure,
    items: Sequence[ProcessedImage],
    written: list[str],
    sources: dict[int, str] | None = None,
) -> list[Figure]:
    """Make a saved figure the first of a stack and add one figure per further frame.

    An upload holding several series (a DICOMDIR export, a zip of two studies) becomes
    one stack per series, each named neutrally by modality and series number: never by
    Series Description, which the profile removes and which can name the diagnosis.
    """
    base_label = figure.label
    first_key = (figure.dicom_info or {}).get("series_instance_uid", "")
    groups: dict[str, list[ProcessedImage | None]] = {first_key: [None]}
    for item in items:
        groups.setdefault(
            item.series_key if figure.source_format == "dicom" else first_key, []
        ).append(item)
    added = []
    # Positions run on across the series of one upload: figures sort by (order,
    # position), so each stack stays contiguous instead of interleaving with the next.
    position = 0
    for members in groups.values():
        if len(groups) == 1:
            series, _ = Series.objects.get_or_create(case=figure.case, name=base_label)
        else:
            info = figure.dicom_info if members[0] is None else members[0].dicom
            series = _new_neutral_series(figure.case, info or {})
        total = len(members)
        for index, item in enumerate(members):
            prefix = base_label if len(groups) == 1 else f"{base_label[:12]}, {series.name}"
            label = f"{prefix} ({index + 1}/{total})"
            position += 1
            if item is None:  # the figure itself, already stored
                figure.series, figure.position, figure.label = series, position - 1, label
                figure.save(update_fields=["series", "position", "label"])
                continue
            frame = Figure(
                case=figure.case,
                order=figure.order,
                label=label,
                stage=figure.stage,
                series=series,
                position=position - 1,
                alt_text=figure.alt_text,
                neutral_caption=figure.neutral_caption,
                caption=figure.caption,
            )
            figure_store_image(frame, item, written, sources)
            frame.save()
            added.append(frame)
    case_touch(figure.case)
    return added


def _new_neutral_series(case: Case, info: dict[str, Any]) -> Series:
    modality = str(info.get("modality") or "Image")[:16]
    number = info.get("series_number")
    base = f"{modality} series {number}" if number is not None else f"{modality} series"
    name, n = base, 1
    while Series.objects.filter(case=case, name=name).exists():
        n += 1
        name = f"{base} ({n})"
    from teachingfile.vocab import DicomModality

    code = modality if modality in DicomModality.values else ""
    return Series.objects.create(case=case, name=name, modality=code)


@transaction.atomic
def figures_from_upload(
    *,
    case: Case,
    data: bytes | IO[bytes],
    filename: str,
    label: str,
    alt_text: str,
    stage: str = Figure.Stage.QUESTION,
    neutral_caption: str = "",
    caption: str = "",
    order: int = 0,
    allow_burned_in: bool = False,
) -> list[Figure]:
    """Turn one upload (image, multi-frame DICOM or zipped series) into figures in stack order."""
    from teachingfile.imaging import process_upload

    items = process_upload(
        data, filename=filename, allow_burned_in=allow_burned_in, **upload_options()
    )
    written: list[str] = []
    sources: dict[int, str] = {}
    try:
        first = Figure(
            case=case,
            order=order,
            label=label,
            stage=stage,
            alt_text=alt_text,
            neutral_caption=neutral_caption,
            caption=caption,
        )
        figure_store_image(first, items[0], written, sources)
        first.full_clean()
        first.save()
        figures = [first]
        if len(items) > 1:
            figures += figure_add_frames(
                figure=first, items=items[1:], written=written, sources=sources
            )
    except Exception:
        delete_files(written)
        raise
    return figures


# ---------------------------------------------------------------------------------------
# Building a whole case from a description (importers and the seed cases)


@dataclass
class ChoiceSpec:
    text: str
    is_correct: bool = False
    rationale: str = ""


@dataclass
class AnswerSpec:
    """An accepted answer of a free-text question; score below 1 is partial credit."""

    text: str
    score: float = 1.0


@dataclass
class QuestionSpec:
    prompt: str
    kind: str = Question.Kind.FREE_TEXT
    explanation: str = ""
    choices: list[ChoiceSpec] = dataclass_field(default_factory=list)
    accepted: list[AnswerSpec] = dataclass_field(default_factory=list)


@dataclass
class FigureSpec:
    """A figure; without image bytes it waits for its image (the admin asks for it)."""

    label: str
    caption: str = ""
    neutral_caption: str = ""
    alt_text: str = ""
    stage: str = Figure.Stage.REVEAL
    image: bytes | None = None
    image_name: str = ""
    annotated: bytes | None = None
    annotated_name: str = ""
    # An image found inside an imported document: when the pipeline refuses it, the
    # figure is kept waiting for an upload and ``refused`` says why.
    optional_image: bool = False
    refused: str = ""
    # Figures naming the same series scroll as one stack, in figure order.
    series: str = ""


@dataclass
class CaseSpec:
    """Everything a case holds, as plain values: what case_build writes in one go."""

    fields: dict[str, object] = dataclass_field(default_factory=dict)
    keywords: list[str] = dataclass_field(default_factory=list)
    # LabValue, DifferentialDiagnosis, Reference and Rating rows as keyword arguments.
    lab_values: list[dict[str, object]] = dataclass_field(default_factory=list)
    differentials: list[dict[str, object]] = dataclass_field(default_factory=list)
    references: list[dict[str, object]] = dataclass_field(default_factory=list)
    ratings: list[dict[str, object]] = dataclass_field(default_factory=list)
    figures: list[FigureSpec] = dataclass_field(default_factory=list)
    questions: list[QuestionSpec] = dataclass_field(default_factory=list)


def _fit(value: str, limit: int | None) -> str:
    return value if not limit or len(value) <= limit else value[: limit - 1] + "…"


def question_add(*, case: Case, spec: QuestionSpec, order: int) -> Question:
    """Write one question with its choices and accepted answers on a saved case."""
    question = Question(
        case=case, order=order, kind=spec.kind, prompt=spec.prompt, explanation=spec.explanation
    )
    question.full_clean(exclude=["case"])
    question.save()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            order=i,
            text=_fit(choice.text, 300),
            is_correct=choice.is_correct,
            rationale=choice.rationale,
        )
        for i, choice in enumerate(spec.choices)
    )
    AcceptedAnswer.objects.bulk_create(
        AcceptedAnswer(question=question, text=_fit(answer.text, 300), score=answer.score)
        for answer in spec.accepted
    )
    return question


@transaction.atomic
def case_build(
    *,
    spec: CaseSpec,
    owner: User | None,
    note: str,
    status: str = Status.DRAFT,
    public_id: str = "",
    exclude: Sequence[str] = (),
    allow_burned_in: bool = False,
) -> Case:
    """Write a whole case (fields, lists, figures with their images, questions) atomically.

    ``exclude`` names required fields a draft may still lack. Figure images go through the
    image pipeline (validated, metadata stripped); files written before a failure are
    removed again. Raises ValidationError or ImageRejected before anything is kept.
    """
    case = Case(public_id=public_id or next_public_id(), owner=owner, status=status)
    for name, value in spec.fields.items():
        setattr(case, name, value)
    if status == Status.PUBLISHED:
        case.published_at = timezone.now()
    case.full_clean(exclude=["owner", *exclude])
    case.save()
    StatusChange.objects.create(case=case, from_status="", to_status=status, by=owner, note=note)
    if spec.keywords:
        case.keywords.set(
            [Keyword.objects.get_or_create(name=name[:100])[0] for name in spec.keywords]
        )
    LabValue.objects.bulk_create(
        LabValue(case=case, order=i, **row) for i, row in enumerate(spec.lab_values)
    )
    DifferentialDiagnosis.objects.bulk_create(
        DifferentialDiagnosis(case=case, order=i, **row) for i, row in enumerate(spec.differentials)
    )
    Reference.objects.bulk_create(
        Reference(case=case, order=i, **row) for i, row in enumerate(spec.references)
    )
    Rating.objects.bulk_create(Rating(case=case, **row) for row in spec.ratings)
    written: list[str] = []
    try:
        for order, figure_spec in enumerate(spec.figures, start=1):
            _figure_build(case, figure_spec, order, written, allow_burned_in=allow_burned_in)
        for order, question_spec in enumerate(spec.questions, start=1):
            question_add(case=case, spec=question_spec, order=order)
    except Exception:
        # The transaction rolls the rows back; the files are ours to remove.
        delete_files(written)
        raise
    from teachingfile.search.services import index_case

    index_case(case)
    return case


def _figure_build(
    case: Case, spec: FigureSpec, order: int, written: list[str], *, allow_burned_in: bool
) -> None:
    from teachingfile.imaging import ImageRejected, process_upload

    figure = Figure(
        case=case,
        order=order,
        label=_fit(spec.label, 40),
        stage=spec.stage,
        alt_text=_fit(spec.alt_text or f"{spec.label} (image to be uploaded)", 300),
        neutral_caption=_fit(spec.neutral_caption, 300),
        caption=spec.caption,
    )
    if spec.series:
        figure.series, _ = Series.objects.get_or_create(case=case, name=spec.series)
        figure.position = order
    if spec.image is None:
        # A caption without its image: the admin's figure form asks for the file.
        figure.save()
        return
    try:
        items = process_upload(
            spec.image,
            filename=spec.image_name,
            allow_burned_in=allow_burned_in,
            **upload_options(),
        )
    except ImageRejected as exc:
        if not spec.optional_image:
            raise
        spec.refused = str(exc)
        figure.save()
        return
    figure_store_image(figure, items[0], written)
    if spec.annotated is not None:
        try:
            marked = process_upload(
                spec.annotated,
                filename=spec.annotated_name,
                allow_burned_in=allow_burned_in,
                **upload_options(),
            )
            if len(marked) != 1:
                raise ImageRejected(f"{spec.annotated_name} holds {len(marked)} images, not one.")
        except ImageRejected as exc:
            if not spec.optional_image:
                raise
            spec.refused = f"annotated version: {exc}"
        else:
            figure_store_annotated(figure, marked[0], written)
    figure.full_clean(exclude=["case"])
    figure.save()
    if len(items) > 1:
        figure_add_frames(figure=figure, items=items[1:], written=written)
