"""Item and quiz statistics (classical test theory, as Moodle's quiz statistics compute them).

Which attempts count (`counted_attempts`): finished ones whose every response has a score,
one per learner and quiz (or library case) by the first / highest / last rule, or all of
them. Marks are weighted by each question's maximum mark. The formulas and the Moodle
documentation they follow are in docs/statistics.md.

Aggregated in the database: Python only finishes the arithmetic on a few sums per item, and
on one total per attempt for the quiz-level figures.
"""

from __future__ import annotations

import math
import statistics as pystats
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    TextChoices,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from quiz.models import Attempt, Response
from quiz.reports.charts import percent_label
from teachingfile.models import Case, Category, Modality, Region

# Item flags, as in Moodle's quiz statistics guidance.
TOO_EASY = 0.9
TOO_HARD = 0.2
# Below this many counted attempts an item's numbers are noise: no flag, no response table.
MIN_N = 5
# Sums of squares that differ from zero by less than this are zero (float rounding).
_EPSILON = 1e-9


class WhichAttempts(TextChoices):
    """Which of a learner's attempts at one quiz count, as Moodle's statistics report offers."""

    FIRST = "first", "First attempt"
    HIGHEST = "highest", "Highest-scoring attempt"
    LAST = "last", "Last attempt"
    ALL = "all", "All attempts"


# Attempts at a quiz, or at one library case; review sessions mix questions from anywhere
# and re-ask what was missed, so they measure memory of the reveal, not the item.
_MEASURED_KINDS = (Attempt.Kind.QUIZ, Attempt.Kind.CASE)
# Live conference answers (issue 17) count too unless the filter leaves them out; each
# participant's attempt at a session is a test of its own.
CONFERENCE_FILTERS = {
    "include": "All answers",
    "exclude": "Without live conference answers",
    "only": "Live conference answers only",
}
_CONFERENCE_KINDS = {
    "include": (*_MEASURED_KINDS, Attempt.Kind.CONFERENCE),
    "exclude": _MEASURED_KINDS,
    "only": (Attempt.Kind.CONFERENCE,),
}
_ONE_TEST = [
    F("user_id"),
    F("kind"),
    F("quiz_id"),
    F("case_id"),
    DbCase(When(kind=Attempt.Kind.CONFERENCE, then=F("id")), default=Value(0)),
]


def _ungraded() -> Q:
    # Read from the partial index of unscored responses (Response.Meta): a handful of rows,
    # where a correlated EXISTS per attempt would probe the index once per attempt.
    return Q(pk__in=Response.objects.filter(score__isnull=True).values("attempt_id"))


def _chosen_attempts(
    which: str, quiz_id: int | None, conference: str = "include"
) -> QuerySet[Attempt]:
    """Finished attempts picked by the rule, graded or not (see `counted_attempts`)."""
    attempts = Attempt.objects.filter(kind__in=_CONFERENCE_KINDS[conference])
    if quiz_id:
        attempts = attempts.filter(quiz_id=quiz_id)
    if which == WhichAttempts.FIRST:
        # The first attempt at THIS quiz (or this library case), finished or not: a learner
        # whose first attempt is still open counts once it is finished, never by a later one.
        first = attempts.annotate(
            rank=Window(RowNumber(), partition_by=_ONE_TEST, order_by=[F("started_at"), F("id")])
        ).filter(rank=1)
        return Attempt.objects.finished().filter(pk__in=first.values("pk"))
    attempts = attempts.finished()
    if which == WhichAttempts.ALL:
        return attempts
    # Highest and last choose among graded attempts: an ungraded one has no grade to rank.
    order = (
        [F("score").desc(nulls_last=True), F("finished_at").desc(), F("id").desc()]
        if which == WhichAttempts.HIGHEST
        else [F("finished_at").desc(), F("id").desc()]
    )
    chosen = (
        attempts.exclude(_ungraded())
        .annotate(rank=Window(RowNumber(), partition_by=_ONE_TEST, order_by=order))
        .filter(rank=1)
    )
    return Attempt.objects.filter(pk__in=chosen.values("pk"))


def counted_attempts(
    which: str = WhichAttempts.FIRST, quiz_id: int | None = None, conference: str = "include"
) -> QuerySet[Attempt]:
    """The attempts statistics use: finished, every response scored, chosen by `which`."""
    return _chosen_attempts(which, quiz_id, conference).exclude(_ungraded())


def provisional_attempts(which: str = WhichAttempts.FIRST, quiz_id: int | None = None) -> int:
    """Chosen attempts left out because a response still waits for a grade."""
    return _chosen_attempts(which, quiz_id).filter(_ungraded()).count()


def counted_responses(
    which: str = WhichAttempts.FIRST, quiz_id: int | None = None, conference: str = "include"
) -> QuerySet[Response]:
    """Every response of the counted attempts, unanswered ones (scored 0) included.

    The attempt test is written on `attempt_id + 0` so that no index serves it: callers
    narrow by case, and SQLite would otherwise drive the query from the attempt index,
    reading every response of every counted attempt (a million rows) instead of the page's
    cases' responses from the covering index and checking each against the attempt set.
    """
    return Response.objects.alias(attempt_key=F("attempt_id") + 0).filter(
        attempt_key__in=counted_attempts(which, quiz_id, conference).values("pk")
    )


@dataclass
class ItemStats:
    """Classical test statistics of one item (a question, or a case as a group of questions).

    Computed on marks (score x the question's maximum mark). n: counted attempts holding the
    item. facility: mean mark over the maximum (0..1). sd: sample standard deviation of the
    mark, over the maximum. mark_variance: the same in marks squared (Cronbach's alpha uses
    it). discrimination: Pearson r between the item mark and the rest of the attempt's total
    (the total minus this item), as Moodle's quiz statistics compute it. efficiency: the
    observed covariance over the largest covariance the same two sets of marks could have
    (both sorted), as a fraction. Undefined values are None.
    """

    key: int
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None
    mark_variance: float | None = None
    flags: list[str] = field(default_factory=list)

    @classmethod
    def from_moments(
        cls,
        key: int,
        n: int,
        sm: float,
        sx: float,
        sxx: float,
        sy: float,
        syy: float,
        sxy: float,
        sxy_max: float,
    ) -> ItemStats:
        """From sums over the n (x, y) pairs; sm is the sum of the item's maximum marks."""
        if n == 0 or sm <= 0:
            return cls(key, 0, None, None, None, None)
        facility = sx / sm
        max_mark = sm / n
        sd = discrimination = efficiency = variance = None
        if n > 1:
            ssx = max(sxx - sx * sx / n, 0.0)
            ssy = max(syy - sy * sy / n, 0.0)
            sp = sxy - sx * sy / n
            sp_max = sxy_max - sx * sy / n
            variance = ssx / (n - 1)
            sd = math.sqrt(variance) / max_mark
            # A constant item (everyone right, say) or a constant rest score correlates with
            # nothing: the statistic is undefined, not zero.
            if ssx > _EPSILON and ssy > _EPSILON:
                discrimination = max(-1.0, min(1.0, sp / math.sqrt(ssx * ssy)))
                if sp_max > _EPSILON:
                    efficiency = sp / sp_max
        stats = cls(key, n, facility, sd, discrimination, efficiency, variance)
        stats.flags = item_flags(stats)
        return stats

    # Display strings, made once here: a page of items renders hundreds of these.
    @property
    def facility_label(self) -> str:
        return percent_label(self.facility)

    @property
    def sd_label(self) -> str:
        return "–" if self.sd is None else f"{self.sd:.2f}"

    @property
    def discrimination_label(self) -> str:
        return "–" if self.discrimination is None else f"{self.discrimination:.2f}"

    @property
    def efficiency_label(self) -> str:
        return percent_label(self.efficiency)


def item_flags(stats: ItemStats) -> list[str]:
    """Moodle's rules of thumb, only once MIN_N attempts make them more than noise."""
    flags: list[str] = []
    if stats.n < MIN_N:
        return flags
    if stats.discrimination is not None and stats.discrimination < 0:
        flags.append("negative discrimination")
    if stats.facility is not None:
        if stats.facility > TOO_EASY:
            flags.append("too easy")
        elif stats.facility < TOO_HARD:
            flags.append("too hard")
    return flags


_PAIRS_SQL = """
WITH base(attempt_id, question_id, case_id, mark, max_mark) AS MATERIALIZED ({base}),
totals AS (
    SELECT r.attempt_id, SUM(r.score * q.max_mark) AS total
    FROM quiz_response r JOIN teachingfile_question q ON q.id = r.question_id
    WHERE r.attempt_id IN (SELECT DISTINCT attempt_id FROM base)
    GROUP BY r.attempt_id
),
units AS (
    {units}
),
pairs AS MATERIALIZED (
    SELECT u.level, u.item, u.m, u.x, t.total - u.x AS y
    FROM units u JOIN totals t ON t.attempt_id = u.attempt_id
),
{tail}"""

_RANKED_TAIL = """
-- Materialized so that PostgreSQL joins the two rankings on (level, item, k): inlined, it
-- merge-joined them on (level, item) alone, since the window output comes sorted that way,
-- and filtered k afterwards, pairing every row of an item with every other (~1M rows a page).
xrank AS MATERIALIZED (
    SELECT level, item, x, ROW_NUMBER() OVER (PARTITION BY level, item ORDER BY x) AS k
    FROM pairs
),
yrank AS MATERIALIZED (
    SELECT level, item, y, ROW_NUMBER() OVER (PARTITION BY level, item ORDER BY y) AS k
    FROM pairs
),
sorted_products AS (
    -- The k-th smallest item mark paired with the k-th smallest rest score.
    SELECT r.level, r.item, SUM(xr.x * r.y) AS sxy_max
    FROM yrank r JOIN xrank xr ON xr.level = r.level AND xr.item = r.item AND xr.k = r.k
    GROUP BY r.level, r.item
),
moments AS (
    SELECT level, item, COUNT(*) AS n, SUM(m) AS sm, SUM(x) AS sx, SUM(x * x) AS sxx,
           SUM(y) AS sy, SUM(y * y) AS syy, SUM(x * y) AS sxy
    FROM pairs GROUP BY level, item
)
SELECT m.level, m.item, m.n, m.sm, m.sx, m.sxx, m.sy, m.syy, m.sxy, COALESCE(p.sxy_max, 0)
FROM moments m LEFT JOIN sorted_products p ON p.level = m.level AND p.item = m.item
"""
# Without discriminative efficiency: no rankings, only sums (the review flags need r alone).
_PLAIN_TAIL = """
moments AS (
    SELECT level, item, COUNT(*) AS n, SUM(m) AS sm, SUM(x) AS sx, SUM(x * x) AS sxx,
           SUM(y) AS sy, SUM(y * y) AS syy, SUM(x * y) AS sxy
    FROM pairs GROUP BY level, item
)
SELECT level, item, n, sm, sx, sxx, sy, syy, sxy, 0 FROM moments
"""

_UNIT_SQL = """SELECT '{level}' AS level, b.{key} AS item, b.attempt_id,
           SUM(b.max_mark) AS m, SUM(b.mark) AS x
    FROM base b GROUP BY b.{key}, b.attempt_id"""
# An attempt holds one response per question (a unique constraint), so a question's unit is
# its response as it is: no grouping, which spares a sort of every row.
_QUESTION_UNIT_SQL = """SELECT 'question' AS level, b.question_id AS item, b.attempt_id,
           b.max_mark AS m, b.mark AS x
    FROM base b"""
_LEVEL_KEYS = {"question": "question_id", "case": "case_id"}


def _unit_sql(level: str) -> str:
    if level == "question":
        return _QUESTION_UNIT_SQL
    return _UNIT_SQL.format(level=level, key=_LEVEL_KEYS[level])


def item_statistics(base: QuerySet[Response], per: str = "question") -> dict[int, ItemStats]:
    """Statistics per question (or per case) over the given counted responses."""
    return item_statistics_by_level(base, levels=(per,))[per]


def item_statistics_by_level(
    base: QuerySet[Response],
    levels: Sequence[str] = ("case", "question"),
    *,
    efficiency: bool = True,
) -> dict[str, dict[int, ItemStats]]:
    """Statistics per case and per question in one query (the responses are read once).

    A case's mark within an attempt is the sum of its questions' marks there (out of the sum
    of their maximum marks), and its rest score is the attempt total minus that sum.
    """
    units = "\n    UNION ALL\n".join(_unit_sql(level) for level in levels)
    try:
        base_sql, params = (
            base.order_by()
            .values_list(
                "attempt_id",
                "question_id",
                "case_id",
                F("score") * F("question__max_mark"),
                "question__max_mark",
            )
            .query
        ).sql_with_params()
    except EmptyResultSet:  # e.g. a filter on no cohorts at all: nothing to measure
        return {level: {} for level in levels}
    tail = _RANKED_TAIL if efficiency else _PLAIN_TAIL
    sql = _PAIRS_SQL.format(base=base_sql, units=units, tail=tail)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[str, dict[int, ItemStats]] = {level: {} for level in levels}
    for level, item, n, *moments in rows:
        result[level][item] = ItemStats.from_moments(item, int(n), *(float(v) for v in moments))
    return result


# --- the quiz as a whole ----------------------------------------------------------------


@dataclass
class QuizStats:
    """Moodle's quiz-level figures over the counted attempts' totals (docs/statistics.md).

    Totals are in marks; `max_total` is the largest total an attempt could reach, so the
    `*_percent` properties give mean, median, SD and SE as Moodle shows them. Skewness and
    kurtosis have no unit; alpha and the error ratio are fractions (Moodle prints them as %).
    """

    n_attempts: int
    max_total: float | None = None
    mean: float | None = None
    median: float | None = None
    sd: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    cronbach_alpha: float | None = None
    error_ratio: float | None = None
    standard_error: float | None = None
    provisional: int = 0

    CSV_COLUMNS = (
        "n_attempts",
        "mean",
        "median",
        "sd",
        "skewness",
        "kurtosis",
        "cronbach_alpha",
        "error_ratio",
        "standard_error",
    )

    @classmethod
    def from_totals(
        cls, totals: Sequence[float], max_total: float | None, item_variances: Sequence[float]
    ) -> QuizStats:
        """Totals of the counted attempts, and each question's mark variance (n - 1)."""
        s = len(totals)
        stats = cls(n_attempts=s, max_total=max_total)
        if s == 0:
            return stats
        mean = sum(totals) / s
        stats.mean = mean
        stats.median = pystats.median(totals)
        if s < 2:
            return stats
        power2 = sum((t - mean) ** 2 for t in totals)
        power3 = sum((t - mean) ** 3 for t in totals)
        power4 = sum((t - mean) ** 4 for t in totals)
        stats.sd = math.sqrt(power2 / (s - 1))
        if s < 3:
            return stats
        m2, m3, m4 = power2 / s, power3 / s, power4 / s
        k2 = s * m2 / (s - 1)
        if k2 <= _EPSILON:
            return stats  # everyone scored the same: shape and reliability are undefined
        k3 = s * s * m3 / ((s - 1) * (s - 2))
        stats.skewness = k3 / k2**1.5
        if s > 3:
            k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
            stats.kurtosis = k4 / (k2 * k2)
        p = len(item_variances)
        if p > 1:
            alpha = (p / (p - 1)) * (1 - sum(item_variances) / k2)
            stats.cronbach_alpha = alpha
            # Alpha can be negative (items that pull apart); 1 - alpha is then above 1.
            stats.error_ratio = math.sqrt(1 - alpha) if alpha <= 1 else None
            if stats.error_ratio is not None:
                stats.standard_error = stats.error_ratio * stats.sd
        return stats

    def percent(self, value: float | None) -> float | None:
        """Marks as a percentage of the largest possible total, as Moodle displays them."""
        if value is None or not self.max_total:
            return None
        return 100 * value / self.max_total

    # Display strings for the panel: marks as % of the maximum, as Moodle shows them.
    def _pct_label(self, value: float | None) -> str:
        pct = self.percent(value)
        return "–" if pct is None else f"{pct:.1f}%"

    @property
    def mean_label(self) -> str:
        return self._pct_label(self.mean)

    @property
    def median_label(self) -> str:
        return self._pct_label(self.median)

    @property
    def sd_label(self) -> str:
        return self._pct_label(self.sd)

    @property
    def standard_error_label(self) -> str:
        return self._pct_label(self.standard_error)

    @property
    def skewness_label(self) -> str:
        return "–" if self.skewness is None else f"{self.skewness:.2f}"

    @property
    def kurtosis_label(self) -> str:
        return "–" if self.kurtosis is None else f"{self.kurtosis:.2f}"

    @property
    def alpha_label(self) -> str:
        return "–" if self.cronbach_alpha is None else f"{100 * self.cronbach_alpha:.1f}%"

    @property
    def error_ratio_label(self) -> str:
        return "–" if self.error_ratio is None else f"{100 * self.error_ratio:.1f}%"

    def csv_values(self) -> list[object]:
        """The row under CSV_COLUMNS: marks as % of the maximum, alpha and error ratio as %."""
        pct = self.percent
        hundred = lambda v: None if v is None else 100 * v  # noqa: E731
        return [
            self.n_attempts,
            pct(self.mean),
            pct(self.median),
            pct(self.sd),
            self.skewness,
            self.kurtosis,
            hundred(self.cronbach_alpha),
            hundred(self.error_ratio),
            pct(self.standard_error),
        ]


def quiz_statistics(which: str, quiz_id: int) -> QuizStats:
    """The quiz-level panel for one quiz."""
    return quiz_statistics_by_quiz(which, [quiz_id]).get(quiz_id, QuizStats(n_attempts=0))


def quiz_statistics_by_quiz(
    which: str, quiz_ids: Sequence[int] | None = None
) -> dict[int, QuizStats]:
    """Quiz-level figures for every quiz (or the given ones): three queries in all."""
    # One quiz (the panel): rank only its attempts, not every attempt in the database.
    only = quiz_ids[0] if quiz_ids is not None and len(quiz_ids) == 1 else None
    base = counted_responses(which, only).filter(attempt__quiz__isnull=False).order_by()
    chosen = _chosen_attempts(which, only).filter(quiz__isnull=False)
    if quiz_ids is not None:
        base = base.filter(attempt__quiz_id__in=list(quiz_ids))
        chosen = chosen.filter(quiz_id__in=list(quiz_ids))
    mark = F("score") * F("question__max_mark")
    totals: dict[int, list[tuple[float, float]]] = {}
    for quiz_id, total, available in (
        base.values("attempt_id", "attempt__quiz_id")
        .annotate(total=Sum(mark), available=Sum("question__max_mark"))
        .values_list("attempt__quiz_id", "total", "available")
    ):
        totals.setdefault(quiz_id, []).append((float(total), float(available)))
    # Each question's mark variance over the quiz's counted attempts (n - 1), for alpha.
    variances: dict[int, list[float]] = {}
    for quiz_id, n, sx, sxx in (
        base.values("attempt__quiz_id", "question_id")
        .annotate(n=Count("id"), sx=Sum(mark), sxx=Sum(mark * mark))
        .values_list("attempt__quiz_id", "n", "sx", "sxx")
    ):
        if n > 1:
            ssx = max(float(sxx) - float(sx) ** 2 / n, 0.0)
            variances.setdefault(quiz_id, []).append(ssx / (n - 1))
    waiting = dict(
        chosen.filter(_ungraded())
        .order_by()
        .values("quiz_id")
        .annotate(n=Count("id"))
        .values_list("quiz_id", "n")
    )
    result = {}
    for quiz_id in set(totals) | set(waiting):
        rows = totals.get(quiz_id, [])
        stats = QuizStats.from_totals(
            [t for t, _ in rows],
            max((a for _, a in rows), default=None),
            variances.get(quiz_id, []),
        )
        stats.provisional = waiting.get(quiz_id, 0)
        result[quiz_id] = stats
    return result


@dataclass
class CaseFilters:
    modality: str = ""
    region: str = ""
    category: str = ""
    quiz: int | None = None
    search: str = ""
    which: str = WhichAttempts.FIRST
    # Live conference answers: "include" (default), "exclude" or "only" (CONFERENCE_FILTERS).
    conference: str = "include"

    @classmethod
    def from_query(cls, params: Any) -> CaseFilters:
        quiz = params.get("quiz") or ""
        which = params.get("attempts") or ""
        conference = params.get("conference") or "include"
        return cls(
            which=which if which in WhichAttempts.values else WhichAttempts.FIRST,
            conference=conference if conference in CONFERENCE_FILTERS else "include",
            modality=params.get("modality", "")
            if params.get("modality") in Modality.values
            else "",
            region=params.get("region", "") if params.get("region") in Region.values else "",
            category=params.get("category", "")
            if params.get("category") in Category.values
            else "",
            quiz=int(quiz) if quiz.isdigit() else None,
            search=(params.get("q") or "").strip()[:50],
        )

    def cases(self) -> QuerySet[Case]:
        cases = Case.objects.exclude(status=Case.Status.DRAFT)
        if self.modality:
            cases = cases.with_modality(self.modality)
        if self.region:
            cases = cases.filter(region=self.region)
        if self.category:
            cases = cases.filter(category=self.category)
        if self.quiz:
            cases = cases.filter(quiz_items__quiz_id=self.quiz)
        if self.search:
            cases = cases.filter(
                Q(public_id__icontains=self.search) | Q(known_title__icontains=self.search)
            )
        return cases.only("public_id", "unknown_title", "known_title", "status").order_by(
            "public_id"
        )

    def responses(self, case_ids: Iterable[int] | None = None) -> QuerySet[Response]:
        responses = counted_responses(self.which, self.quiz, self.conference)
        if case_ids is not None:
            responses = responses.filter(case_id__in=list(case_ids))
        return responses
