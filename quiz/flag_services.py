"""Writes on statistics flags: faculty dismiss a case's flag, with a note, for its version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from quiz.models import FlagDismissal
from teachingfile.models import Case


@transaction.atomic
def flag_dismiss(*, case: Case, by: Any, note: str) -> FlagDismissal:
    """Dismiss the case's statistics flag for its current version; a note is required."""
    note = note.strip()
    if not note:
        raise ValidationError("Say why the numbers need no change.", code="note_required")
    dismissal, _ = FlagDismissal.objects.update_or_create(
        case=case,
        case_version=case.version,
        defaults={"note": note, "dismissed_by": by},
    )
    dismissal.full_clean()
    return dismissal
