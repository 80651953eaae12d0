"""Writes of the cohort management page: members in and out, quizzes assigned and withdrawn.

Each checks that the acting user directs the cohort's program, so a view that forgot its
own check still cannot touch another program's cohort.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from quiz import rules
from quiz.models import Assignment, Cohort, Membership, Quiz
from teachingfile import roles


def _check_directs(cohort: Cohort, by: Any) -> None:
    if not rules.directed_cohorts(by).filter(pk=cohort.pk).exists():
        raise PermissionDenied("Only a director of this program manages its cohorts.")


@transaction.atomic
def cohort_member_add(*, cohort: Cohort, username: str, training_year: int, by: Any) -> Membership:
    """Put a resident (by username) in the cohort with their training year."""
    _check_directs(cohort, by)
    username = username.strip()
    if not username:
        raise ValidationError({"username": "Give the resident's username."})
    resident = get_user_model().objects.filter(username__iexact=username).first()
    if resident is None or not roles.is_resident(resident):
        raise ValidationError({"username": f"No resident has the username “{username}”."})
    if Membership.objects.filter(cohort=cohort, resident=resident).exists():
        raise ValidationError({"username": f"{resident.username} is already in this cohort."})
    membership = Membership(cohort=cohort, resident=resident, training_year=training_year)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def cohort_member_remove(*, membership: Membership, by: Any) -> None:
    """Take a resident out of the cohort; their answers and attempts stay."""
    _check_directs(membership.cohort, by)
    membership.delete()


@transaction.atomic
def assignment_create(
    *, cohort: Cohort, quiz: Quiz, due_at: datetime | None, by: Any, now: datetime
) -> Assignment:
    """Give a quiz to the cohort with an optional due date (never one in the past).

    Directors assign to their programs' cohorts; faculty building a quiz (issue 18) to any.
    """
    if not rules.assignable_cohorts(by).filter(pk=cohort.pk).exists():
        raise PermissionDenied("You cannot assign quizzes to this cohort.")
    if Assignment.objects.filter(cohort=cohort, quiz=quiz).exists():
        raise ValidationError({"quiz": f"“{quiz.title}” is already assigned to this cohort."})
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": "The due date is in the past."})
    assignment = Assignment(
        cohort=cohort, quiz=quiz, due_at=due_at, assigned_by=by, assigned_at=now
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def assignment_remove(*, assignment: Assignment, by: Any) -> None:
    """Withdraw a quiz from the cohort; attempts already made are kept."""
    _check_directs(assignment.cohort, by)
    assignment.delete()
