"""Everything after the answer knows region questions (issue 16): item statistics, the
director's drill-down, CSV, review cards."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from quiz.models import ReviewCard
from quiz.reports.response_analysis import response_analysis
from quiz.reports.statistics import counted_responses, item_statistics
from teachingfile.models import Question
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    FigureFactory,
    QuestionFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db

TARGET = {"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.1}


def _region_question(**extra: object) -> Question:
    case = CaseFactory()
    figure = FigureFactory(case=case)
    return QuestionFactory(
        case=case, kind=Question.Kind.REGION, region_figure=figure, regions=[TARGET], **extra
    )


def test_response_analysis_groups_region_answers_by_how_they_scored() -> None:
    question = _region_question()
    for text, score in [
        ("0.5000,0.5000", 1.0),
        ("0.5100,0.5000", 1.0),
        ("0.6200,0.5000", 0.5),
        ("0.9000,0.9000", 0.0),
        ("0.1000,0.1000", 0.0),
    ]:
        attempt = AttemptFactory(finished_at=timezone.now())
        ResponseFactory(attempt=attempt, question=question, score=score, answer_text=text)
    base = counted_responses()
    counted = {pk: s.n for pk, s in item_statistics(base).items()}
    assert counted[question.pk] == 5
    rows = response_analysis(base, [question], counted)[question.pk]
    assert [(r.count, r.verdict) for r in rows] == [
        (2, "correct"),
        (1, "partly correct"),
        (2, "wrong"),
    ]
    assert rows[0].label == "Marked inside a target region"


def test_the_drill_down_draws_the_markers_on_a_thumbnail_and_the_csv_has_coordinates(
    director: AbstractUser, resident: AbstractUser, cohort: object
) -> None:
    question = _region_question()
    client = Client()
    client.force_login(resident)
    client.post(
        f"/cases/{question.case.public_id}/answer/", {f"q{question.pk}": "0.52,0.48;0.9,0.1"}
    )
    client.force_login(director)
    page = client.get(f"/reports/residents/{resident.pk}/").content.decode()
    assert "data-region-thumb" in page
    assert question.region_figure.thumbnail.url in page
    assert "2 markers at (0.52, 0.48), (0.90, 0.10)" in page
    # The red crosses: one line pair per marker.
    assert page.count('stroke="#ff3b30"') >= 4
    body = client.get(f"/reports/residents/{resident.pk}/export.csv?table=responses")
    text = b"".join(body.streaming_content).decode() if body.streaming else body.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert any("0.5200,0.4800;0.9000,0.1000" in row for row in rows)


def test_a_missed_region_question_comes_back_as_a_review_card_with_the_image_tool(
    resident: AbstractUser,
) -> None:
    question = _region_question()
    client = Client()
    client.force_login(resident)
    client.post(f"/cases/{question.case.public_id}/answer/", {f"q{question.pk}": "0.9,0.9"})
    card = ReviewCard.objects.get(user=resident, question=question)
    card.due = timezone.now()
    card.save()
    page = client.get("/review/").content.decode()
    assert 'data-kind="region"' in page and f'name="q{question.pk}"' in page
    assert "cx=" not in page  # no target drawn before the answer
    # Malformed: refused, nothing stored, the card still due.
    refused = client.post(f"/review/{card.pk}/answer/", {f"q{question.pk}": "2,2"})
    assert refused.status_code == 302
    assert question.responses.count() == 1
    answered = client.post(
        f"/review/{card.pk}/answer/", {f"q{question.pk}": "0.5,0.5"}, follow=True
    )
    body = answered.content.decode()
    assert "Score 1 / 1" in body and "data-region-reveal" in body
