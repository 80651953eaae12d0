"""The cohort table: one row per resident a director may see, and who may see whom.

Reads attempts, not responses, so it stays a few rows per resident whatever the data size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from quiz import rules
from quiz.models import Assignment, Attempt, Membership
from teachingfile.roles import AnyUser

# Trend compares the last four weeks with the four weeks before.
TREND_WINDOW = timedelta(weeks=4)
_NEVER = datetime.min.replace(tzinfo=timezone.get_fixed_timezone(0))

# --- who may see whom -------------------------------------------------------------------


def visible_memberships(user: AnyUser) -> QuerySet[Membership]:
    return Membership.objects.filter(cohort__in=rules.directed_cohorts(user)).select_related(
        "resident", "cohort__program"
    )


# --- cohort table -----------------------------------------------------------------------


@dataclass
class CohortFilters:
    cohort: int | None = None
    year: int | None = None
    search: str = ""
    overdue_only: bool = False
    order: str = "name"

    ORDERS = {
        "name": "Name",
        "score": "Average score (low first)",
        "overdue": "Most overdue",
        "activity": "Least recent activity",
        "trend": "Falling first",
    }

    @classmethod
    def from_query(cls, params: Any) -> CohortFilters:
        def as_int(value: str | None) -> int | None:
            try:
                return int(value) if value else None
            except ValueError:
                return None

        order = params.get("order", "name")
        return cls(
            cohort=as_int(params.get("cohort")),
            year=as_int(params.get("year")),
            search=(params.get("q") or "").strip()[:100],
            overdue_only=params.get("overdue") == "1",
            order=order if order in cls.ORDERS else "name",
        )


@dataclass
class ResidentRow:
    membership_id: int
    resident_id: int
    name: str
    username: str
    cohort: str
    training_year: int
    assigned: int
    completed: int
    overdue: int
    attempts: int = 0
    average: float | None = None
    last_activity: datetime | None = None
    recent: float | None = None
    previous: float | None = None

    @property
    def trend(self) -> float | None:
        """Change of the mean score, last four weeks against the four before."""
        if self.recent is None or self.previous is None:
            return None
        return self.recent - self.previous

    @property
    def trend_label(self) -> str:
        """Signed change in percentage points; a dash when either window has no answers."""
        trend = self.trend
        if trend is None:
            return "–"
        points = round(trend * 100)
        if points == 0:
            return "→ 0 pts"
        return f"{'▲' if points > 0 else '▼'} {points:+d} pts"

    @property
    def trend_direction(self) -> str:
        trend = self.trend
        if trend is None or round(trend * 100) == 0:
            return "flat"
        return "up" if trend > 0 else "down"


def cohort_table(
    user: AnyUser, filters: CohortFilters, now: datetime | None = None
) -> list[ResidentRow]:
    """One row per membership the director may see: three queries whatever the data size."""
    now = now or timezone.now()
    memberships = visible_memberships(user)
    if filters.cohort:
        memberships = memberships.filter(cohort_id=filters.cohort)
    if filters.year:
        memberships = memberships.filter(training_year=filters.year)
    if filters.search:
        memberships = memberships.filter(
            Q(resident__username__icontains=filters.search)
            | Q(resident__first_name__icontains=filters.search)
            | Q(resident__last_name__icontains=filters.search)
        )

    # An assignment is done once the resident has finished an attempt at its quiz.
    finished = Attempt.objects.finished().filter(
        user=OuterRef(OuterRef("resident_id")),
        quiz=OuterRef("quiz_id"),
    )
    per_cohort = Assignment.objects.filter(cohort=OuterRef("cohort_id"))

    def count_of(queryset: QuerySet[Assignment]) -> Coalesce:
        counted = queryset.order_by().values("cohort").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    memberships = memberships.annotate(
        assigned=count_of(per_cohort),
        completed=count_of(per_cohort.filter(Exists(finished))),
        overdue=count_of(per_cohort.filter(due_at__lt=now).exclude(Exists(finished))),
    ).order_by("resident__last_name", "resident__first_name", "resident__username", "id")

    rows = [
        ResidentRow(
            membership_id=m.pk,
            resident_id=m.resident_id,
            name=m.resident.get_full_name() or m.resident.username,
            username=m.resident.username,
            cohort=m.cohort.name,
            training_year=m.training_year,
            assigned=m.assigned,
            completed=m.completed,
            overdue=m.overdue,
        )
        for m in memberships
    ]
    stats = resident_score_stats({row.resident_id for row in rows}, now)
    for row in rows:
        found = stats.get(row.resident_id)
        if found:
            row.attempts = found["n"]
            row.average = found["average"]
            row.last_activity = found["last"]
            row.recent = found["recent"]
            row.previous = found["previous"]
    if filters.overdue_only:
        rows = [row for row in rows if row.overdue]
    return _sorted_rows(rows, filters.order)


def _sorted_rows(rows: list[ResidentRow], order: str) -> list[ResidentRow]:
    # Missing scores sort last; for activity, residents who never answered come first,
    # since they are the ones a director looks for.
    if order == "score":
        return sorted(rows, key=lambda r: (r.average is None, r.average or 0))
    if order == "overdue":
        return sorted(rows, key=lambda r: -r.overdue)
    if order == "activity":
        return sorted(rows, key=lambda r: (r.last_activity is not None, r.last_activity or _NEVER))
    if order == "trend":
        return sorted(rows, key=lambda r: (r.trend is None, r.trend or 0))
    return rows


def resident_score_stats(resident_ids: Iterable[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Mean attempt score, attempts, last activity and the two trend windows, in one query.

    Read from attempts (each one's score is the mean of its responses) rather than from the
    million responses: a few rows per resident instead of thousands, so the table stays fast.
    """
    ids = list(resident_ids)
    if not ids:
        return {}
    recent_start = now - TREND_WINDOW
    previous_start = now - 2 * TREND_WINDOW
    rows = (
        Attempt.objects.filter(user_id__in=ids)
        .order_by()
        .values("user_id")
        .annotate(
            n=Count("id", filter=Q(score__isnull=False)),
            average=Avg("score"),
            last_start=Max("started_at"),
            last_finish=Max("finished_at"),
            recent=Avg("score", filter=Q(finished_at__gte=recent_start, finished_at__lte=now)),
            previous=Avg(
                "score", filter=Q(finished_at__gte=previous_start, finished_at__lt=recent_start)
            ),
        )
    )
    stats = {}
    for row in rows:
        moments = [m for m in (row["last_start"], row["last_finish"]) if m is not None]
        stats[row["user_id"]] = {**row, "last": max(moments) if moments else None}
    return stats


def score_histogram(values: Sequence[float | None], bins: int = 10) -> list[dict[str, Any]]:
    """Count residents per tenth of the score range, for the cohort chart."""
    counts = [0] * bins
    for value in values:
        if value is not None:
            counts[min(int(value * bins), bins - 1)] += 1
    return [
        {"label": f"{i * 100 // bins}–{(i + 1) * 100 // bins}%", "count": count}
        for i, count in enumerate(counts)
    ]
