"""One resident for a director: scores by topic, by week, and every answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from quiz import rules
from quiz.models import Response
from quiz.reports.cohort import resident_score_stats
from teachingfile.models import Category, Modality, Region
from teachingfile.vocab import MODALITY_GROUPS


def _modality_filter(group: str) -> Q:
    # DICOM codes are stored space-separated ("CT MR"); match whole codes of the display
    # group (CR or DX for Radiography) without a regex, so SQLite and PostgreSQL run the
    # same plain LIKE.
    found = Q()
    for code in MODALITY_GROUPS[group]:
        found |= (
            Q(case__modalities=code)
            | Q(case__modalities__startswith=f"{code} ")
            | Q(case__modalities__endswith=f" {code}")
            | Q(case__modalities__contains=f" {code} ")
        )
    return found


def settled_responses(user_ids: Any) -> QuerySet[Response]:
    """Scored answers that count in a learner's figures: a running exam's drafts do not.

    A draft's score, shown on /progress/, would tell whether an answer the learner may
    still change is right; the director's pages use the same rows so that both agree.
    """
    return rules.without_exam_drafts(
        Response.objects.filter(user_id__in=user_ids, score__isnull=False)
    )


def resident_summary(resident_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The two averages a director sees, each with its unit: two queries.

    Per attempt: the mean of the resident's scored attempts (each attempt's marks over the
    marks available), exactly the cohort table's "Average". Per answer: the mean score of
    every scored answer, which the weekly and topic tables break down. A long attempt weighs
    as much as a short one in the first and more in the second, so the two differ whenever
    attempts differ in length and score; the page says so rather than hide it.
    """
    now = now or timezone.now()
    per_attempt = resident_score_stats([resident_id], now).get(resident_id, {})
    per_answer = settled_responses([resident_id]).aggregate(n=Count("id"), average=Avg("score"))
    return {
        "attempts": per_attempt.get("n", 0),
        "per_attempt": per_attempt.get("average"),
        "answers": per_answer["n"],
        "per_answer": per_answer["average"],
    }


# The topics a resident's answers are broken down by, in the order pages show them.
TOPICS = (
    ("modality", "Modality"),
    ("region", "Region"),
    ("category", "Category"),
    ("domain", "Curriculum domain"),  # issue 18: coverage of the curriculum map
)


def resident_topics(resident_id: int) -> dict[str, list[dict[str, Any]]]:
    """Mean score and count by modality, region, category and domain: four queries."""
    return topics_of(settled_responses([resident_id]))


def topics_of(responses: QuerySet[Response]) -> dict[str, list[dict[str, Any]]]:
    """Mean score and count of these responses by modality, region and category."""
    responses = responses.order_by()
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

    # Coverage of the curriculum map: a case counts once per domain it is tagged with.
    by_domain = [
        {
            "key": row["key"],
            "label": row["name"] or "No domain",
            "n": row["n"],
            "cases": row["cases"],
            "average": row["average"],
        }
        for row in responses.values(key=F("case__domains__code"), name=F("case__domains__name"))
        .annotate(n=Count("id"), cases=Count("case", distinct=True), average=Avg("score"))
        .order_by("case__domains__order", "key")
    ]
    return {
        "modality": by_modality,
        "region": grouped("region", dict(Region.choices)),
        "category": grouped("category", dict(Category.choices)),
        "domain": by_domain,
    }


def resident_weeks(
    resident_id: int, weeks: int = 26, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Mean score per calendar week over the last `weeks` weeks, oldest first."""
    now = now or timezone.now()
    rows = (
        settled_responses([resident_id])
        .filter(answered_at__gte=now - timedelta(weeks=weeks))
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
        .select_related("case", "question__region_figure", "attempt__quiz")
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
            # Region answers are drawn on the figure's thumbnail (issue 16).
            "question__regions",
            "question__region_figure__thumbnail",
            "question__region_figure__width",
            "question__region_figure__height",
            "attempt__kind",
            "attempt__quiz__title",
        )
        .order_by("-answered_at", "-id")
    )
