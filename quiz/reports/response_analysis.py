"""Response analysis: how many counted attempts chose each option of a question.

Moodle's "analysis of responses", per question: each choice (or each free-text answer,
grouped by the normalised form the scorer compares), its count, its share of the counted
attempts, and whether it is right. Hidden below `statistics.MIN_N` attempts, where a share
of one or two learners would say who answered what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Avg, Count, QuerySet

from quiz import scoring
from quiz.models import Response
from quiz.reports.charts import percent_label
from quiz.reports.statistics import MIN_N
from teachingfile.models import Choice, Question


@dataclass
class ResponseRow:
    label: str
    count: int
    share: float
    verdict: str  # "correct", "partly correct", "wrong", or "" for no answer

    @property
    def share_label(self) -> str:
        return percent_label(self.share)


def _verdict(score: float | None) -> str:
    if score is None:
        return ""
    if score >= 1:
        return "correct"
    return "partly correct" if score > 0 else "wrong"


def response_analysis(
    base: QuerySet[Response], questions: Sequence[Question], counted: dict[int, int]
) -> dict[int, list[ResponseRow]]:
    """Rows per question id, for questions with at least MIN_N counted attempts: 3 queries.

    `base`: the counted responses; `counted`: question id -> counted attempts (its n).
    """
    shown = [q for q in questions if counted.get(q.pk, 0) >= MIN_N]
    # Read for every question of the page, shown or not, so that the page runs the same
    # queries whatever the data (the query budget test holds it to that).
    ids = [q.pk for q in questions]
    choices = Choice.objects.filter(question_id__in=ids).order_by("question_id", "order", "id")
    picked = dict(
        Response.choices.through.objects.filter(
            response__in=base.filter(question_id__in=ids).order_by().values("pk")
        )
        .values_list("choice_id")
        .annotate(n=Count("id"))
        .values_list("choice_id", "n")
    )
    # One row per distinct typed text; grouped by normalised form below (a few hundred rows
    # at most per page: one per distinct answer, not per response).
    typed = (
        base.filter(
            question_id__in=ids, question__kind__in=[Question.Kind.FREE_TEXT, Question.Kind.REGION]
        )
        .order_by()
        .values_list("question_id", "answer_text")
        .annotate(n=Count("id"), score=Avg("score"))
    )
    texts: dict[int, dict[str, list[tuple[str, int, float | None]]]] = {}
    for question_id, text, n, score in typed:
        key = scoring.normalise(text)
        texts.setdefault(question_id, {}).setdefault(key, []).append((text, n, score))

    result: dict[int, list[ResponseRow]] = {}
    by_question: dict[int, list[Choice]] = {}
    for choice in choices:
        by_question.setdefault(choice.question_id, []).append(choice)
    for question in shown:
        n = counted[question.pk]
        rows: list[ResponseRow] = []
        if question.is_choice:
            for choice in by_question.get(question.pk, []):
                count = picked.get(choice.pk, 0)
                rows.append(
                    ResponseRow(
                        choice.text, count, count / n, "correct" if choice.is_correct else "wrong"
                    )
                )
            if question.kind == Question.Kind.SINGLE:
                # Single best answer: the rest chose nothing (closed the attempt unanswered).
                blank = n - sum(row.count for row in rows)
                if blank > 0:
                    rows.append(ResponseRow("No answer", blank, blank / n, ""))
        elif question.is_region:
            rows = _region_rows(texts.get(question.pk, {}), n)
        else:
            for key, forms in texts.get(question.pk, {}).items():
                count = sum(f[1] for f in forms)
                # Shown as the form most learners typed; judged by its mean score.
                label = max(forms, key=lambda f: f[1])[0] if key else "No answer"
                score = sum((f[2] or 0) * f[1] for f in forms) / count if key else None
                rows.append(ResponseRow(label, count, count / n, _verdict(score)))
            rows.sort(key=lambda row: (-row.count, row.label))
        result[question.pk] = rows
    return result


# Image-region answers (issue 16) are points, not words: grouped by how they scored.
_REGION_LABELS = {
    "correct": "Marked inside a target region",
    "partly correct": "Partly (within the margin, or some of the regions)",
    "wrong": "Outside every target region",
}


def _region_rows(
    texts: dict[str, list[tuple[str, int, float | None]]], n: int
) -> list[ResponseRow]:
    counts: dict[str, int] = {}
    for forms in texts.values():
        for _text, count, score in forms:
            verdict = _verdict(score)
            if verdict:
                counts[verdict] = counts.get(verdict, 0) + count
    return [
        ResponseRow(label, counts[verdict], counts[verdict] / n, verdict)
        for verdict, label in _REGION_LABELS.items()
        if counts.get(verdict)
    ]
