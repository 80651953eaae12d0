"""Statistics that send a case back to its author: the flags on the peer-review queue and home.

A case is flagged, once at least `MIN_N` counted first attempts hold it, when
- a question of it (or the case as a whole) has a negative discrimination index: the learners
  who did best on the rest of the test did worse on this item, which usually means a wrong
  key or a misleading image; or
- its measured facility disagrees with the faculty's mean difficulty rating by more than
  `FACILITY_BAND`, where a rating of 1 expects 90% facility and each step down 20 points
  less (3 expects 50%, 5 expects 10%).
A flag dismissed with a note stays dismissed for that version of the case.

Measuring every published case reads every counted response (seconds at a million), so the
measurement is cached for `CACHE_SECONDS`, as Moodle caches its quiz statistics for 15
minutes; ratings, dismissals and ownership are read live, so a dismissal shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone

from quiz.models import FlagDismissal
from quiz.reports.charts import percent_label
from quiz.reports.statistics import MIN_N, ItemStats, counted_responses, item_statistics_by_level
from teachingfile.models import Case, Question, Rating

# How far (in facility, 0..1) measurement may stray from what the ratings predict.
FACILITY_BAND = 0.25


def expected_facility(difficulty: float) -> float:
    """The facility a mean difficulty rating (1 easy .. 5 hard) predicts."""
    return 0.9 - 0.2 * (difficulty - 1)


@dataclass
class CaseFlag:
    case: Case
    stats: ItemStats
    difficulty: float | None = None
    ratings: int = 0
    negative: list[tuple[int, float]] = field(default_factory=list)  # (question order, r)
    reasons: list[str] = field(default_factory=list)

    @property
    def expected(self) -> float | None:
        return None if self.difficulty is None else expected_facility(self.difficulty)

    @property
    def facility_label(self) -> str:
        return percent_label(self.stats.facility)

    @property
    def expected_label(self) -> str:
        return percent_label(self.expected)


CACHE_SECONDS = 15 * 60
_CACHE_KEY = "quiz:statistics-flags:v1"


@dataclass
class _Measured:
    """What the expensive measurement keeps per case: picklable, for the shared cache."""

    stats: ItemStats
    negative: list[tuple[int, float]]


def _measure() -> dict[int, _Measured]:
    """Every published case with at least MIN_N counted first attempts: two queries."""
    published = Case.objects.published().values("pk")
    by_level = item_statistics_by_level(
        counted_responses().filter(case__in=published),
        levels=("case", "question"),
        efficiency=False,
    )
    measured = {
        pk: _Measured(stats, []) for pk, stats in by_level["case"].items() if stats.n >= MIN_N
    }
    for question in Question.objects.filter(case__in=published).only("id", "case_id", "order"):
        q = by_level["question"].get(question.pk)
        found = measured.get(question.case_id)
        if found and q and q.n >= MIN_N and q.discrimination is not None and q.discrimination < 0:
            found.negative.append((question.order, q.discrimination))
    return measured


def measured_cases() -> tuple[datetime, dict[int, _Measured]]:
    """The cached measurement and when it was made (computed now when missing or expired)."""
    cached: tuple[datetime, dict[int, _Measured]] | None = cache.get(_CACHE_KEY)
    if cached is None:
        cached = (timezone.now(), _measure())
        cache.set(_CACHE_KEY, cached, CACHE_SECONDS)
    return cached


def case_flags(cases: QuerySet[Case]) -> list[CaseFlag]:
    """Flags for the given cases, dismissed ones left out: three queries once measured.

    Every query runs even when nothing is flagged, so that a page's query count does not
    step up the day its first case reaches the minimum n.
    """
    _, measured = measured_cases()
    ids = cases.values("pk")
    rated = {
        row["case_id"]: row
        for row in Rating.objects.filter(case__in=ids)
        .values("case_id")
        .annotate(difficulty=Avg("difficulty"), n=Count("id"))
    }
    dismissed = set(
        FlagDismissal.objects.filter(case__in=ids).values_list("case_id", "case_version")
    )
    flags = []
    for case in cases.only(
        "id", "public_id", "unknown_title", "known_title", "version", "owner_id"
    ).order_by("public_id"):
        found = measured.get(case.pk)
        if found is None or (case.pk, case.version) in dismissed:
            continue
        stats = found.stats
        flag = CaseFlag(case=case, stats=stats, negative=sorted(found.negative))
        if flag.negative or (stats.discrimination is not None and stats.discrimination < 0):
            flag.reasons.append("negative discrimination")
        rating = rated.get(case.pk)
        if rating:
            flag.difficulty, flag.ratings = float(rating["difficulty"]), rating["n"]
            expected = expected_facility(flag.difficulty)
            if stats.facility is not None and abs(stats.facility - expected) > FACILITY_BAND:
                flag.reasons.append(
                    "easier than rated" if stats.facility > expected else "harder than rated"
                )
        if flag.reasons:
            flags.append(flag)
    return flags
