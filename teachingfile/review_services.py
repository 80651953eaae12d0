"""Writes of the faculty review page: a rater's rating and a comment's visibility.

Status changes go through teachingfile.services.case_transition, the one place that knows
the workflow rules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from teachingfile import roles
from teachingfile.models import Case, Comment, Rating


@transaction.atomic
def rating_save(*, case: Case, rater: Any, difficulty: int, quality: int, note: str = "") -> Rating:
    """Create or replace this rater's one rating of the case."""
    if not roles.is_faculty(rater):
        raise PermissionDenied("Only faculty rate cases.")
    rating = Rating.objects.select_for_update().filter(case=case, rater=rater).first()
    if rating is None:
        rating = Rating(case=case, rater=rater)
    rating.difficulty = difficulty
    rating.quality = quality
    rating.note = note.strip()
    rating.full_clean()
    rating.save()
    return rating


@transaction.atomic
def comment_set_hidden(*, comment: Comment, hidden: bool, by: Any) -> Comment:
    """Hide a comment from residents (or show it again), remembering who hid it."""
    if not roles.is_faculty(by):
        raise PermissionDenied("Only faculty hide comments.")
    comment.hidden = hidden
    comment.hidden_by = by if hidden else None
    comment.save(update_fields=["hidden", "hidden_by"])
    return comment
