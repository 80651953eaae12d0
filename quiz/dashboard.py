"""What the home page shows each role."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from quiz import rules
from quiz.models import Assignment, ReviewCard
from quiz.reports.flags import FACILITY_BAND, case_flags
from teachingfile import roles
from teachingfile.models import Case


def home_context(user: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    now = timezone.now()
    if roles.is_resident(user):
        context["assignments"] = (
            Assignment.objects.filter(cohort__memberships__resident=user)
            .select_related("quiz", "cohort")
            .order_by("due_at")
        )
        context["review_due"] = ReviewCard.objects.filter(user=user, due__lte=now).count()
    if roles.is_faculty(user):
        context["my_cases"] = (
            Case.objects.filter(owner=user).exclude(status=Case.Status.RETIRED).for_listing()
        )
        # Statistics flags on the author's own cases (quiz.reports.flags).
        context["my_flags"] = case_flags(Case.objects.filter(owner=user))
        context["band"] = round(FACILITY_BAND * 100)
        context["review_queue"] = (
            Case.objects.filter(status=Case.Status.IN_REVIEW).exclude(owner=user).for_listing()
        )
    if roles.is_director(user):
        context["cohorts"] = rules.directed_cohorts(user)
    context["recent_cases"] = Case.objects.published().for_listing().order_by("-published_at")[:6]
    return context
