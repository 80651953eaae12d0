"""Quiz screens: the answer endpoint on both paths, and list pages whose query count does
not grow with the data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quiz.models import Attempt, Cohort, Quiz, Response
from tests.factories import (
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
)

pytestmark = pytest.mark.django_db


def _quiz(cases: int = 2, **fields: object) -> Quiz:
    quiz = QuizFactory(**fields)
    for n in range(cases):
        case = CaseFactory(known_title=f"Known title {n}")
        question = QuestionFactory(case=case)
        ChoiceFactory(question=question, order=0, is_correct=True)
        ChoiceFactory(question=question, order=1)
        QuizItemFactory(quiz=quiz, case=case, order=n)
    return quiz


def _start(client: Client, quiz: Quiz) -> Attempt:
    assert client.post(f"/quizzes/{quiz.pk}/start/").status_code == 302
    return Attempt.objects.filter(quiz=quiz).latest("started_at")


def _first_choice(quiz: Quiz, n: int) -> dict[str, int]:
    question = quiz.items.all()[n].case.questions.get()
    return {f"q{question.pk}": question.choices.get(order=0).pk}


def _url(attempt: Attempt, n: int) -> str:
    return f"/quizzes/{attempt.quiz_id}/attempts/{attempt.pk}/cases/{n}/answer/"


def test_the_htmx_answer_returns_the_reveal_fragment_with_the_next_case(
    client: Client, resident: AbstractUser
) -> None:
    quiz = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    response = client.post(_url(attempt, 1), _first_choice(quiz, 0), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="case-work"')  # the fragment, no page
    assert "<html" not in body
    assert "Known title 0" in body and "data-next-case" in body
    assert f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/2/" in body
    assert Response.objects.filter(attempt=attempt).count() == 1


def test_the_plain_answer_redirects_to_the_case_with_the_reveal(
    client: Client, resident: AbstractUser
) -> None:
    quiz = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    response = client.post(_url(attempt, 1), _first_choice(quiz, 0))
    page = f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/"
    assert response.status_code == 302 and response["Location"] == f"{page}#case-work"
    body = client.get(page).content.decode()
    assert "<html" in body and "Known title 0" in body


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-post"])
def test_a_blank_quiz_answer_is_refused_keeps_the_form_and_stores_nothing(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    quiz = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(_url(attempt, 1), {}, headers=headers)
    body = response.content.decode()
    # htmx swaps only 2xx, so the fragment comes back 200 with the message in it.
    assert response.status_code == (200 if htmx else 400)
    assert "Give an answer before submitting." in body and "data-answer-form" in body
    assert "Known title 0" not in body
    assert not Response.objects.exists()


def test_a_double_submit_in_a_quiz_stores_one_response(
    client: Client, resident: AbstractUser
) -> None:
    quiz = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    data = _first_choice(quiz, 0)
    client.post(_url(attempt, 1), data)
    client.post(_url(attempt, 1), data, headers={"HX-Request": "true"})
    assert Response.objects.filter(attempt=attempt).count() == 1


def test_another_residents_answer_endpoint_is_404(
    client: Client, resident: AbstractUser, other_resident: AbstractUser
) -> None:
    quiz = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    client.force_login(other_resident)
    response = client.post(_url(attempt, 1), _first_choice(quiz, 0), headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert not Response.objects.exists()


# ---------------------------------------------------------------- query ceilings


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(resident: AbstractUser, cohort: Cohort, n: int) -> None:
    """n more quizzes, assigned or open, each with a finished attempt by the resident."""
    for i in range(n):
        quiz = _quiz(cases=1, is_open=bool(i % 2))
        if not i % 2:
            AssignmentFactory(quiz=quiz, cohort=cohort, due_at=timezone.now())
        Attempt.objects.create(user=resident, quiz=quiz, finished_at=timezone.now(), score=0.5)


def _ceiling(
    client: Client, resident: AbstractUser, cohort: Cohort, url: Callable[[], str], ceiling: int
) -> None:
    client.force_login(resident)
    few = _count(client, url())
    _grow(resident, cohort, 12)
    many = _count(client, url())
    assert few == many, (few, many)
    assert many <= ceiling, many


def test_the_quiz_list_makes_a_fixed_number_of_queries(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    _grow(resident, cohort, 2)
    _ceiling(client, resident, cohort, lambda: "/quizzes/", 7)


def test_the_quiz_detail_makes_a_fixed_number_of_queries(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    quiz = _quiz(cases=3, is_open=True)
    for _ in range(3):
        Attempt.objects.create(user=resident, quiz=quiz, finished_at=timezone.now(), score=1)

    def url() -> str:
        # The quiz itself grows too: more cases and more finished attempts.
        case = CaseFactory()
        QuizItemFactory(quiz=quiz, case=case, order=quiz.items.count())
        Attempt.objects.create(user=resident, quiz=quiz, finished_at=timezone.now(), score=1)
        return f"/quizzes/{quiz.pk}/"

    _ceiling(client, resident, cohort, url, 7)


def test_the_results_page_makes_a_fixed_number_of_queries(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    quiz = _quiz(cases=2, is_open=True)
    client.force_login(resident)
    attempt = _start(client, quiz)
    client.post(_url(attempt, 1), _first_choice(quiz, 0))
    assert (
        client.post(
            f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/finish/", {"confirm": "hand-in"}
        ).status_code
        == 302
    )
    few = _count(client, f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/")

    bigger = _quiz(cases=12, is_open=True)
    attempt = _start(client, bigger)
    for n in range(12):
        client.post(_url(attempt, n + 1), _first_choice(bigger, n))
    client.post(f"/quizzes/{bigger.pk}/attempts/{attempt.pk}/finish/", {"confirm": "hand-in"})
    _grow(resident, cohort, 5)
    many = _count(client, f"/quizzes/{bigger.pk}/attempts/{attempt.pk}/")
    # One of them asks the reveal rule which known titles may show (quiz.rules).
    assert few == many <= 8, (few, many)
