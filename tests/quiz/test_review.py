"""Review mode: a missed question becomes an FSRS card, comes back when due, and answering
it reschedules the card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from quiz import scheduling, services
from quiz.models import Attempt, Response, ReviewCard
from teachingfile.models import Case, Question
from tests.factories import single_choice_case

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _case(**fields: object) -> tuple[Case, Question, object, object]:
    return single_choice_case(
        prompt="Which sign?", right="Right sign", wrong="Wrong sign", **fields
    )


def _miss(client: Client, case: Case, question: Question, wrong: object) -> None:
    response = client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": wrong.pk})  # type: ignore[attr-defined]
    assert response.status_code == 302


def test_a_missed_question_becomes_a_review_card_and_a_right_one_does_not(
    client: Client, resident: AbstractUser
) -> None:
    missed_case, missed, _right, wrong = _case()
    known_case, known, right, _wrong = _case()
    client.force_login(resident)
    with time_machine.travel(MONDAY, tick=False):
        _miss(client, missed_case, missed, wrong)
        client.post(f"/cases/{known_case.public_id}/answer/", {f"q{known.pk}": right.pk})  # type: ignore[attr-defined]
    card = ReviewCard.objects.get(user=resident)
    assert card.question == missed
    assert card.lapses == 1 and card.reviews == 1
    assert MONDAY < card.due < MONDAY + timedelta(days=1)  # "Again": back the same day
    assert card.state["state"]  # the FSRS card itself is stored


def test_the_home_page_counts_the_cards_that_are_due(
    client: Client, resident: AbstractUser
) -> None:
    for _ in range(2):
        case, question, _right, wrong = _case()
        client.force_login(resident)
        with time_machine.travel(MONDAY, tick=False):
            _miss(client, case, question, wrong)
    with time_machine.travel(MONDAY + timedelta(seconds=10), tick=False):
        early = client.get("/").context["review_due"]
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        later = client.get("/").context["review_due"]
        body = client.get("/").content.decode()
    assert early == 0
    assert later == 2
    assert "question" in body and ">2<" in body.replace(" ", "")


def test_the_review_page_asks_the_due_question_without_its_answer(
    client: Client, resident: AbstractUser
) -> None:
    case, question, _right, wrong = _case(known_title="Secret known title")
    client.force_login(resident)
    with time_machine.travel(MONDAY, tick=False):
        _miss(client, case, question, wrong)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        page = client.get("/review/")
    body = page.content.decode()
    assert page.status_code == 200
    assert page.context["due_count"] == 1
    assert "Which sign?" in body and "Right sign" in body
    assert "Secret known title" not in body and "is-correct" not in body


def test_answering_a_due_card_moves_its_due_date_by_the_schedule(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right, wrong = _case()
    client.force_login(resident)
    with time_machine.travel(MONDAY, tick=False):
        _miss(client, case, question, wrong)
    card = ReviewCard.objects.get(user=resident)
    missed_due = card.due
    review_time = MONDAY + timedelta(days=2)
    expected = scheduling.review(card.state, score=1.0, at=review_time).due
    with time_machine.travel(review_time, tick=False):
        answer = client.post(f"/review/{card.pk}/answer/", {f"q{question.pk}": right.pk})  # type: ignore[attr-defined]
    assert answer.status_code == 302
    card.refresh_from_db()
    assert card.reviews == 2 and card.last_reviewed_at == review_time
    # The next step of FSRS's schedule, counted from the review, not from the miss.
    assert card.due == expected and card.due > review_time > missed_due
    stored = Response.objects.get(attempt__kind=Attempt.Kind.REVIEW)
    assert stored.score == 1.0 and not stored.is_first_attempt
    assert answer["Location"] == f"/review/responses/{stored.pk}/"
    with time_machine.travel(review_time, tick=False):
        feedback = client.get(answer["Location"]).content.decode()
    assert "Score 1 / 1" in feedback


def test_a_blank_review_answer_is_refused_and_the_card_is_unchanged(
    client: Client, resident: AbstractUser
) -> None:
    case, question, _right, wrong = _case()
    client.force_login(resident)
    with time_machine.travel(MONDAY, tick=False):
        _miss(client, case, question, wrong)
    card = ReviewCard.objects.get(user=resident)
    due = card.due
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        refused = client.post(f"/review/{card.pk}/answer/", {})
    assert refused.status_code == 302 and refused["Location"] == "/review/"
    card.refresh_from_db()
    assert card.due == due and card.reviews == 1


def test_another_residents_card_is_404(
    client: Client, resident: AbstractUser, other_resident: AbstractUser
) -> None:
    case, question, right, wrong = _case()
    client.force_login(resident)
    _miss(client, case, question, wrong)
    card = ReviewCard.objects.get(user=resident)
    client.force_login(other_resident)
    answer = client.post(f"/review/{card.pk}/answer/", {f"q{question.pk}": right.pk})  # type: ignore[attr-defined]
    assert answer.status_code == 404
    assert not Response.objects.filter(user=other_resident).exists()


def _review_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/review/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_review_page_makes_the_same_few_queries_however_many_cards_are_due(
    client: Client, resident: AbstractUser
) -> None:
    client.force_login(resident)

    def miss_cases(n: int) -> None:
        for _ in range(n):
            case, question, _right, wrong = _case()
            services.case_answer(
                user=resident,
                case=case,
                answers={question.pk: services.Answer(frozenset({wrong.pk}))},  # type: ignore[attr-defined]
                now=MONDAY,
            )

    miss_cases(2)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        few = _review_queries(client)
    miss_cases(20)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        many = _review_queries(client)
        assert client.get("/review/").context["due_count"] == 22
    assert few == many <= 8
