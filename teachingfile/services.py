"""Writes to the case library that touch several rows: ids, the review workflow, figures."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from teachingfile import roles
from teachingfile.models import Case, Figure, Series, StatusChange

_ID_NUMBER = re.compile(r"^tf-(\d+)$")

Status = Case.Status


def next_public_id() -> str:
    """The next neutral id (tf-0006 after tf-0005), never derived from the content."""
    highest = 0
    for public_id in Case.objects.values_list("public_id", flat=True):
        match = _ID_NUMBER.match(public_id)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"tf-{highest + 1:04d}"


def _may_author(user: AbstractBaseUser, case: Case) -> bool:
    return roles.is_editor(user) or (roles.is_faculty(user) and case.owner_id == user.pk)


def _may_review(user: AbstractBaseUser, case: Case) -> bool:
    # A reviewer is a colleague: nobody reviews their own case (editors publish directly).
    return roles.is_faculty(user) and (case.owner_id != user.pk or roles.is_editor(user))


def allowed_transitions(case: Case, user: AbstractBaseUser) -> list[str]:
    """Statuses this user may move the case to now, in the order the UI offers them."""
    allowed: list[str] = []
    if case.status == Status.DRAFT:
        if _may_author(user, case):
            allowed.append(Status.IN_REVIEW)
        if roles.is_editor(user):
            allowed.append(Status.PUBLISHED)
    elif case.status == Status.IN_REVIEW:
        if _may_review(user, case):
            allowed += [Status.PUBLISHED, Status.DRAFT]
        elif _may_author(user, case):
            allowed.append(Status.DRAFT)  # the author withdraws it
    elif case.status == Status.PUBLISHED:
        if roles.is_editor(user):
            allowed += [Status.RETIRED, Status.DRAFT]
    elif case.status == Status.RETIRED and (roles.is_editor(user) or _may_author(user, case)):
        allowed.append(Status.DRAFT)
    return allowed


@transaction.atomic
def case_transition(
    *, case: Case, to_status: str, by: AbstractBaseUser, note: str = ""
) -> StatusChange:
    """Move a case through draft -> in review -> published -> retired, recording who and why."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if to_status not in allowed_transitions(case, by):
        raise PermissionDenied(
            f"You cannot move {case.public_id} from {case.get_status_display().lower()} "
            f"to {Status(to_status).label.lower()}."
        )
    if to_status in (Status.IN_REVIEW, Status.PUBLISHED):
        case_check_complete(case)
    returning = case.status == Status.IN_REVIEW and to_status == Status.DRAFT
    if returning and case.owner_id != by.pk and not note.strip():
        raise ValidationError("Say what needs changing when you send a case back.")
    change = StatusChange(case=case, from_status=case.status, to_status=to_status, by=by, note=note)
    change.full_clean()
    change.save()
    case.status = to_status
    fields = ["status", "version", "updated_at"]
    if to_status == Status.PUBLISHED:
        case.published_at = timezone.now()
        fields.append("published_at")
    case.version = F("version") + 1
    case.save(update_fields=fields)
    case.refresh_from_db(fields=["version"])
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
    if problems:
        raise ValidationError(f"{case.public_id} is not ready: " + "; ".join(problems) + ".")


def _save_bytes(data: bytes, ext: str) -> str:
    from teachingfile.imaging import generate_unguessable_name

    return default_storage.save(generate_unguessable_name(ext), ContentFile(data))


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

    Raises ImageRejected before anything is written; a DICOM with several frames is
    refused here (use figures_from_upload for series).
    """
    from teachingfile.imaging import ImageRejected, process_upload

    items = process_upload(data, filename=filename, allow_burned_in=allow_burned_in)
    if len(items) != 1:
        raise ImageRejected(
            f"{filename} holds {len(items)} images; upload a series as its own figures."
        )
    item = items[0]
    written: list[str] = []
    try:
        if annotated:
            figure.annotated_image.name = _remember(
                written, _save_bytes(item.original, item.original_ext)
            )
            figure.annotated_display.name = _remember(
                written, _save_bytes(item.display, item.display_ext)
            )
        else:
            _fill_figure(figure, item, written)
        figure.full_clean(exclude=["case"] if figure.case_id is None else None)
        figure.save()
    except Exception:
        # Nothing half-written: files from a failed save go again.
        for name in written:
            default_storage.delete(name)
        raise
    return figure


def _remember(written: list[str], name: str) -> str:
    written.append(name)
    return name


def _fill_figure(figure: Figure, item: Any, written: list[str]) -> None:
    figure.image.name = _remember(written, _save_bytes(item.original, item.original_ext))
    figure.display.name = _remember(written, _save_bytes(item.display, item.display_ext))
    figure.thumbnail.name = _remember(written, _save_bytes(item.thumbnail, item.thumbnail_ext))
    figure.width, figure.height = item.width, item.height
    figure.source_format = item.source_format
    figure.dicom_info = item.dicom or {}
    figure.presets = {
        name: _remember(written, _save_bytes(data, item.display_ext))
        for name, data in (item.presets or {}).items()
    }
    if item.deidentified_dicom:
        figure.source_file.name = _remember(written, _save_bytes(item.deidentified_dicom, "dcm"))


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
) -> Sequence[Figure]:
    """Turn one upload (image, multi-frame DICOM or zipped series) into figures in stack order."""
    from teachingfile.imaging import process_upload

    items = process_upload(data, filename=filename, allow_burned_in=allow_burned_in)
    series = None
    if len(items) > 1:
        series, _ = Series.objects.get_or_create(case=case, name=label)
    figures: list[Figure] = []
    written: list[str] = []
    try:
        for index, item in enumerate(items):
            figure = Figure(
                case=case,
                order=order,
                label=label if len(items) == 1 else f"{label} ({index + 1}/{len(items)})",
                stage=stage,
                series=series,
                position=item.position if series else 0,
                alt_text=alt_text,
                neutral_caption=neutral_caption,
                caption=caption,
            )
            _fill_figure(figure, item, written)
            figure.full_clean()
            figure.save()
            figures.append(figure)
    except Exception:
        for name in written:
            default_storage.delete(name)
        raise
    return figures
