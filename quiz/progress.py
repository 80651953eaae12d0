"""A resident's own progress: quiz statuses, answered cases, topics beside the cohort's.

Reads only; a fixed number of queries whatever the learner has done. The topic figures
come from `quiz.reports.resident.resident_topics`, the function the director's view of the same
resident uses, so the two pages cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from quiz.models import Assignment, Attempt, Membership, ReviewCard
from quiz.reports import resident as reports
from quiz.reports.resident import settled_responses
from teachingfile.models import Case


@dataclass
class QuizStatus:
    """Where one learner stands with one quiz."""

    label: str  # "not started", "in progress", "handed in"
    score: float | None = None
    finished_at: datetime | None = None
    attempts: int = 0

    @property
    def key(self) -> str:
        return self.label.replace(" ", "-")


NOT_STARTED = QuizStatus("not started")


def quiz_statuses(user: Any, quiz_ids: Iterable[int] | None = None) -> dict[int, QuizStatus]:
    """Each quiz's status for this learner (one query): the latest attempt decides."""
    attempts = Attempt.objects.filter(user=user, kind=Attempt.Kind.QUIZ).order_by(
        "started_at", "id"
    )
    if quiz_ids is not None:
        attempts = attempts.filter(quiz_id__in=list(quiz_ids))
    statuses: dict[int, QuizStatus] = {}
    for quiz_id, finished_at, score in attempts.values_list("quiz_id", "finished_at", "score"):
        count = statuses[quiz_id].attempts + 1 if quiz_id in statuses else 1
        if finished_at is None:
            statuses[quiz_id] = QuizStatus("in progress", attempts=count)
        else:
            statuses[quiz_id] = QuizStatus("handed in", score, finished_at, count)
    return statuses


def due_review_count(user: Any, now: datetime | None = None) -> int:
    return ReviewCard.objects.filter(user=user, due__lte=now or timezone.now()).count()


def cohort_member_ids(user: Any) -> QuerySet[Membership]:
    """Residents sharing a cohort with this learner (the learner included)."""
    cohorts = Membership.objects.filter(resident=user).values("cohort")
    return Membership.objects.filter(cohort__in=cohorts).values("resident").distinct()


@dataclass
class Progress:
    topics: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    cases_answered: int
    average: float | None
    due_reviews: int
    assignments: list[Assignment]


def resident_progress(user: Any, now: datetime | None = None) -> Progress:
    now = now or timezone.now()
    mine = reports.resident_topics(user.pk)
    cohort = reports.topics_of(settled_responses(cohort_member_ids(user)))
    topics = []
    for key, title in reports.TOPICS:
        theirs = {row["key"]: row["average"] for row in cohort[key]}
        rows = [{**row, "cohort_average": theirs.get(row["key"])} for row in mine[key]]
        topics.append({"key": key, "title": title, "rows": rows})
    case_rows = list(
        settled_responses([user.pk])
        .order_by()
        .values("case_id", "case__public_id", "case__unknown_title")
        .annotate(n=Count("id"), average=Avg("score"), last=Max("answered_at"))
        .order_by("-last")[:100]
    )
    overall = settled_responses([user.pk]).aggregate(
        average=Avg("score"), cases=Count("case", distinct=True)
    )
    assignments = list(
        Assignment.objects.filter(cohort__memberships__resident=user)
        .select_related("quiz", "cohort")
        .order_by("due_at", "id")
    )
    statuses = quiz_statuses(user, [a.quiz_id for a in assignments])
    for assignment in assignments:
        status = statuses.get(assignment.quiz_id, NOT_STARTED)
        assignment.status = status  # type: ignore[attr-defined]  # shown by the template
        assignment.is_overdue = (  # type: ignore[attr-defined]  # shown by the template
            assignment.due_at is not None
            and assignment.due_at < now
            and status.label != "handed in"
        )
    return Progress(
        topics=topics,
        cases=case_rows,
        cases_answered=overall["cases"],
        average=overall["average"],
        due_reviews=due_review_count(user, now),
        assignments=assignments,
    )


def with_my_score(cases: QuerySet[Case], user: Any) -> QuerySet[Case]:
    """Cases annotated with this learner's mean score on them (`my_score`, None if never).

    The same rows as the "Cases you answered" table of /progress/, so both agree.
    """
    mine = (
        settled_responses([user.pk])
        .filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(mean=Avg("score"))
        .values("mean")
    )
    return cases.annotate(my_score=Subquery(mine[:1]))
