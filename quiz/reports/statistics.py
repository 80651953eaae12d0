"""Item statistics (classical test theory, as Moodle's quiz statistics compute them).

Aggregated in the database: Python only finishes the arithmetic on a few sums per item.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
)

from quiz.models import Response
from quiz.reports.charts import percent_label
from teachingfile.models import Case, Category, Modality, Region

# Item flags, as in Moodle's quiz statistics guidance.
TOO_EASY = 0.9
TOO_HARD = 0.2
# Sums of squares that differ from zero by less than this are zero (float rounding).
_EPSILON = 1e-9


@dataclass
class ItemStats:
    """Classical test statistics of one item (a question, or a case as a group of questions).

    n: first-attempt responses. facility: mean score (0..1). sd: sample standard deviation.
    discrimination: Pearson r between the item score and the rest of the attempt's score
    (the attempt total minus this item), as Moodle's quiz statistics compute it.
    efficiency: the observed covariance over the largest covariance the same two sets of
    scores could have (both sorted), as a fraction. Undefined values are None.
    """

    key: int
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None
    flags: list[str] = field(default_factory=list)

    @classmethod
    def from_moments(
        cls,
        key: int,
        n: int,
        sx: float,
        sxx: float,
        sy: float,
        syy: float,
        sxy: float,
        sxy_max: float,
    ) -> ItemStats:
        if n == 0:
            return cls(key, 0, None, None, None, None)
        facility = sx / n
        sd = discrimination = efficiency = None
        if n > 1:
            ssx = max(sxx - sx * sx / n, 0.0)
            ssy = max(syy - sy * sy / n, 0.0)
            sp = sxy - sx * sy / n
            sp_max = sxy_max - sx * sy / n
            sd = math.sqrt(ssx / (n - 1))
            # A constant item (everyone right, say) or a constant rest score correlates with
            # nothing: the statistic is undefined, not zero.
            if ssx > _EPSILON and ssy > _EPSILON:
                discrimination = max(-1.0, min(1.0, sp / math.sqrt(ssx * ssy)))
                if sp_max > _EPSILON:
                    efficiency = sp / sp_max
        stats = cls(key, n, facility, sd, discrimination, efficiency)
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
    flags = []
    if stats.discrimination is not None and stats.discrimination < 0:
        flags.append("negative discrimination")
    if stats.facility is not None and stats.n:
        if stats.facility > TOO_EASY:
            flags.append("too easy")
        elif stats.facility < TOO_HARD:
            flags.append("too hard")
    return flags


_MOMENTS_SQL = """
WITH base(attempt_id, question_id, case_id, score) AS MATERIALIZED ({base}),
totals AS (
    SELECT r.attempt_id, SUM(r.score) AS total
    FROM quiz_response r
    WHERE r.score IS NOT NULL
      AND r.attempt_id IN (SELECT DISTINCT attempt_id FROM base)
    GROUP BY r.attempt_id
),
units AS (
    {units}
),
pairs AS MATERIALIZED (
    SELECT u.level, u.item, u.x, t.total - u.s AS y
    FROM units u JOIN totals t ON t.attempt_id = u.attempt_id
),
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
    -- The k-th smallest item score paired with the k-th smallest rest score.
    SELECT r.level, r.item, SUM(xr.x * r.y) AS sxy_max
    FROM yrank r JOIN xrank xr ON xr.level = r.level AND xr.item = r.item AND xr.k = r.k
    GROUP BY r.level, r.item
),
moments AS (
    SELECT level, item, COUNT(*) AS n, SUM(x) AS sx, SUM(x * x) AS sxx, SUM(y) AS sy,
           SUM(y * y) AS syy, SUM(x * y) AS sxy
    FROM pairs GROUP BY level, item
)
SELECT m.level, m.item, m.n, m.sx, m.sxx, m.sy, m.syy, m.sxy, COALESCE(p.sxy_max, 0)
FROM moments m LEFT JOIN sorted_products p ON p.level = m.level AND p.item = m.item
"""


def first_attempt_responses() -> QuerySet[Response]:
    """The responses item statistics use: each learner's first, scored answer to a question."""
    return Response.objects.filter(is_first_attempt=True, score__isnull=False).exclude(
        method=Response.Method.PENDING
    )


_UNIT_SQL = """SELECT '{level}' AS level, b.{key} AS item, b.attempt_id,
           AVG(b.score) AS x, SUM(b.score) AS s
    FROM base b GROUP BY b.{key}, b.attempt_id"""
# An attempt holds one response per question (a unique constraint), so a question's unit is
# its response as it is: no grouping, which spares a sort of every row.
_QUESTION_UNIT_SQL = """SELECT 'question' AS level, b.question_id AS item, b.attempt_id,
           b.score AS x, b.score AS s
    FROM base b"""
_LEVEL_KEYS = {"question": "question_id", "case": "case_id"}


def _unit_sql(level: str) -> str:
    if level == "question":
        return _QUESTION_UNIT_SQL
    return _UNIT_SQL.format(level=level, key=_LEVEL_KEYS[level])


def item_statistics(base: QuerySet[Response], per: str = "question") -> dict[int, ItemStats]:
    """Statistics per question (or per case) over the given first-attempt responses."""
    return item_statistics_by_level(base, levels=(per,))[per]


def item_statistics_by_level(
    base: QuerySet[Response], levels: Sequence[str] = ("case", "question")
) -> dict[str, dict[int, ItemStats]]:
    """Statistics per case and per question in one query (the responses are read once).

    A case's score within an attempt is the mean of its questions' scores there, and its rest
    score is the attempt total minus the case's questions.
    """
    units = "\n    UNION ALL\n".join(_unit_sql(level) for level in levels)
    try:
        base_sql, params = (
            base.order_by().values_list("attempt_id", "question_id", "case_id", "score").query
        ).sql_with_params()
    except EmptyResultSet:  # e.g. a filter on no cohorts at all: nothing to measure
        return {level: {} for level in levels}
    sql = _MOMENTS_SQL.format(base=base_sql, units=units)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[str, dict[int, ItemStats]] = {level: {} for level in levels}
    for level, item, n, *moments in rows:
        result[level][item] = ItemStats.from_moments(item, int(n), *(float(v) for v in moments))
    return result


@dataclass
class CaseFilters:
    modality: str = ""
    region: str = ""
    category: str = ""
    quiz: int | None = None
    search: str = ""

    @classmethod
    def from_query(cls, params: Any) -> CaseFilters:
        quiz = params.get("quiz") or ""
        return cls(
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
        responses = first_attempt_responses()
        if self.quiz:
            responses = responses.filter(attempt__quiz_id=self.quiz)
        if case_ids is not None:
            responses = responses.filter(case_id__in=list(case_ids))
        return responses
