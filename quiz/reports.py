"""Statistics for program directors and faculty, aggregated in the database.

Everything here returns a fixed, small number of rows (one per resident, topic, week or
item); the million response rows stay in SQL. Python only finishes the arithmetic on those
aggregates (a square root, a ratio), never loops over responses.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.http import HttpResponse
from django.utils import timezone

from quiz.models import Assignment, Attempt, Cohort, Membership, Response
from teachingfile import roles
from teachingfile.models import Case, Category, Modality, Region

AnyUser = AbstractBaseUser | AnonymousUser

# Item flags, as in Moodle's quiz statistics guidance.
TOO_EASY = 0.9
TOO_HARD = 0.2
# Trend compares the last four weeks with the four weeks before.
TREND_WINDOW = timedelta(weeks=4)
# Sums of squares that differ from zero by less than this are zero (float rounding).
_EPSILON = 1e-9
_NEVER = datetime.min.replace(tzinfo=timezone.get_fixed_timezone(0))


# --- who may see whom -------------------------------------------------------------------


def directed_cohorts(user: AnyUser) -> QuerySet[Cohort]:
    """Cohorts of the programs this user directs (every cohort for a superuser)."""
    cohorts = Cohort.objects.select_related("program")
    if getattr(user, "is_superuser", False):
        return cohorts
    if not roles.is_director(user):
        return cohorts.none()
    return cohorts.filter(program__directors=user)


def visible_memberships(user: AnyUser) -> QuerySet[Membership]:
    return Membership.objects.filter(cohort__in=directed_cohorts(user)).select_related(
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
    finished = Attempt.objects.filter(
        user=OuterRef(OuterRef("resident_id")),
        quiz=OuterRef("quiz_id"),
        finished_at__isnull=False,
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


# --- one resident -----------------------------------------------------------------------


def _modality_filter(code: str) -> Q:
    # Codes are stored space-separated ("CT MR"); match whole codes without a regex so that
    # SQLite and PostgreSQL run the same plain LIKE.
    return (
        Q(case__modalities=code)
        | Q(case__modalities__startswith=f"{code} ")
        | Q(case__modalities__endswith=f" {code}")
        | Q(case__modalities__contains=f" {code} ")
    )


def resident_topics(resident_id: int) -> dict[str, list[dict[str, Any]]]:
    """Mean score and count by modality, region and category: three queries."""
    responses = Response.objects.filter(user_id=resident_id, score__isnull=False).order_by()
    modality_aggs: dict[str, Any] = {}
    for code in Modality.values:
        modality_aggs[f"n_{code}"] = Count("id", filter=_modality_filter(code))
        modality_aggs[f"avg_{code}"] = Avg("score", filter=_modality_filter(code))
    by_modality_raw = responses.aggregate(**modality_aggs)
    by_modality = [
        {
            "key": code,
            "label": label,
            "n": by_modality_raw[f"n_{code}"],
            "average": by_modality_raw[f"avg_{code}"],
        }
        for code, label in Modality.choices
        if by_modality_raw[f"n_{code}"]
    ]

    def grouped(field_name: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        rows = (
            responses.values(key=F(f"case__{field_name}"))
            .annotate(n=Count("id"), average=Avg("score"))
            .order_by("key")
        )
        return [
            {
                "key": row["key"],
                "label": labels.get(row["key"], "Not set"),
                "n": row["n"],
                "average": row["average"],
            }
            for row in rows
        ]

    return {
        "modality": by_modality,
        "region": grouped("region", dict(Region.choices)),
        "category": grouped("category", dict(Category.choices)),
    }


def resident_weeks(
    resident_id: int, weeks: int = 26, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Mean score per calendar week over the last `weeks` weeks, oldest first."""
    now = now or timezone.now()
    rows = (
        Response.objects.filter(
            user_id=resident_id, score__isnull=False, answered_at__gte=now - timedelta(weeks=weeks)
        )
        .order_by()
        .annotate(week=TruncWeek("answered_at"))
        .values("week")
        .annotate(n=Count("id"), average=Avg("score"))
        .order_by("week")
    )
    return [
        {"label": row["week"].date().isoformat(), "n": row["n"], "average": row["average"]}
        for row in rows
    ]


def resident_responses(resident_id: int) -> QuerySet[Response]:
    return (
        Response.objects.filter(user_id=resident_id)
        .select_related("case", "question", "attempt__quiz")
        .only(
            "id",
            "answer_text",
            "score",
            "method",
            "answered_at",
            "time_spent_ms",
            "is_first_attempt",
            "is_late",
            "case__public_id",
            "case__unknown_title",
            "question__order",
            "question__kind",
            "attempt__kind",
            "attempt__quiz__title",
        )
        .order_by("-answered_at", "-id")
    )


# --- item analysis ----------------------------------------------------------------------


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
        return _percent(self.facility)

    @property
    def sd_label(self) -> str:
        return "–" if self.sd is None else f"{self.sd:.2f}"

    @property
    def discrimination_label(self) -> str:
        return "–" if self.discrimination is None else f"{self.discrimination:.2f}"

    @property
    def efficiency_label(self) -> str:
        return _percent(self.efficiency)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


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


CONFERENCE_FILTERS = {
    "include": "All answers",
    "exclude": "Without live conference answers",
    "only": "Live conference answers only",
}


@dataclass
class CaseFilters:
    modality: str = ""
    region: str = ""
    category: str = ""
    quiz: int | None = None
    search: str = ""
    # live conference answers: "include" (default), "exclude" or "only" (CONFERENCE_FILTERS)
    conference: str = "include"

    @classmethod
    def from_query(cls, params: Any) -> CaseFilters:
        quiz = params.get("quiz") or ""
        conference = params.get("conference") or "include"
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
            conference=conference if conference in CONFERENCE_FILTERS else "include",
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
        if self.conference == "exclude":
            responses = responses.exclude(attempt__kind=Attempt.Kind.CONFERENCE)
        elif self.conference == "only":
            responses = responses.filter(attempt__kind=Attempt.Kind.CONFERENCE)
        if case_ids is not None:
            responses = responses.filter(case_id__in=list(case_ids))
        return responses


# --- CSV --------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else ""
        # Negative numbers are numbers, not formulas: only text gets the guard.
        return text
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark makes spreadsheet programs read the file as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response


# --- charts -----------------------------------------------------------------------------


def _svg(number: float) -> str:
    """An SVG coordinate: plain dot decimals whatever the locale, one decimal at most."""
    return f"{round(number, 1):g}"


def bar_chart(
    bars: Sequence[dict[str, Any]],
    value_key: str,
    max_value: float,
    width: int = 560,
    percent: bool | None = None,
) -> dict[str, Any]:
    """Geometry for a server-rendered SVG bar chart (templates cannot do arithmetic)."""
    bar_height, gap = 22, 6
    # Room for the longest label at about 7 px a character (the chart font is 12 px), so
    # "Metabolic, endocrine, toxic" is not clipped; capped so the bars keep most of the width.
    longest = max((len(str(bar.get("label", ""))) for bar in bars), default=0)
    label_width = max(90, min(220, 7 * longest + 16))
    plot = width - label_width - 60
    percent = max_value == 1.0 if percent is None else percent
    drawn = []
    for i, bar in enumerate(bars):
        raw = bar.get(value_key)
        value = raw or 0
        display = "–" if raw is None else (f"{round(raw * 100)}%" if percent else f"{raw:g}")
        length = 0 if max_value <= 0 else round(plot * min(value, max_value) / max_value, 1)
        y = i * (bar_height + gap)
        drawn.append(
            {
                **bar,
                "value": raw,
                "display": display,
                "y": _svg(y),
                "text_y": _svg(y + bar_height * 0.7),
                "length": _svg(length) if length else "",
                "value_x": _svg(label_width + length + 6),
            }
        )
    return {
        "bars": drawn,
        "width": width,
        "height": max(len(bars) * (bar_height + gap), bar_height),
        "label_width": label_width,
        "label_x": label_width - 8,
        "bar_height": bar_height,
        "plot": plot,
    }


def line_chart(
    points: Sequence[dict[str, Any]], width: int = 560, height: int = 180
) -> dict[str, Any]:
    """A 0..1 score line over time, as SVG coordinates."""
    left, right, top, bottom = 40, 10, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(points)
    drawn = []
    for i, point in enumerate(points):
        x = left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)
        y = top + plot_h * (1 - (point["average"] or 0))
        drawn.append(
            {**point, "x": _svg(x), "y": _svg(y), "average_label": _percent(point["average"])}
        )
    gridlines = [
        {"y": _svg(top + plot_h * (1 - level)), "label": f"{round(level * 100)}%"}
        for level in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "points": drawn,
        "path": " ".join(f"{p['x']},{p['y']}" for p in drawn),
        "width": width,
        "height": height,
        "left": left,
        "axis_x": left - 6,
        "right": width - right,
        "gridlines": gridlines,
    }
