"""Quizzes and exams: start/resume, practice reveal, the exam deadline, results, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Quiz, Response, ReviewCard
from tests.factories import (
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _quiz(mode: str = Quiz.Mode.PRACTICE, cases: int = 2, **fields: object):  # type: ignore[no-untyped-def]
    quiz = QuizFactory(mode=mode, **fields)
    picks = []
    for n in range(cases):
        case = CaseFactory(diagnosis=f"Quiz diagnosis {n}")
        question = QuestionFactory(case=case)
        right = ChoiceFactory(question=question, order=0, is_correct=True)
        ChoiceFactory(question=question, order=1)
        QuizItemFactory(quiz=quiz, case=case, order=n)
        picks.append((case, question, right))
    return quiz, picks


def _start(client: Client, quiz: Quiz) -> Attempt:
    response = client.post(f"/quizzes/{quiz.pk}/start/")
    assert response.status_code == 302
    return Attempt.objects.filter(quiz=quiz).latest("started_at")


def _answer_url(attempt: Attempt, n: int) -> str:
    return f"/quizzes/{attempt.quiz_id}/attempts/{attempt.pk}/cases/{n}/answer/"


def test_practice_reveals_after_each_case_and_offers_the_next(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    page = f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/"
    assert "Quiz diagnosis 0" not in client.get(page).content.decode()
    _case, question, right = picks[0]
    reveal = client.post(
        _answer_url(attempt, 1), {f"q{question.pk}": right.pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Quiz diagnosis 0" in reveal and "Next case" in reveal
    assert (
        client.post(_answer_url(attempt, 2), {f"q{picks[1][1].pk}": picks[1][2].pk}).status_code
        == 302
    )


def test_start_twice_resumes_the_same_attempt(client: Client, resident: AbstractUser) -> None:
    quiz, _ = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    client.force_login(resident)
    first = _start(client, quiz)
    second = _start(client, quiz)
    assert first.pk == second.pk
    assert Attempt.objects.filter(quiz=quiz, user=resident).count() == 1


def test_exam_saves_without_reveal_and_a_reload_resumes_the_answers(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
        assert attempt.deadline == START + timedelta(minutes=20)
        _case, question, right = picks[0]
        saved = client.post(
            _answer_url(attempt, 1), {f"q{question.pk}": right.pk}, headers={"HX-Request": "true"}
        ).content.decode()
        assert "Saved at" in saved and "Quiz diagnosis 0" not in saved
        page = client.get(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/").content.decode()
        assert f'value="{right.pk}" checked' in page
        assert "Time left" in page and 'data-seconds-left="1200"' in page
        assert not ReviewCard.objects.exists()  # no feedback of any kind during the exam


def test_an_exam_answer_after_the_deadline_is_refused_and_not_stored(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
    _case, question, right = picks[0]
    with time_machine.travel(START + timedelta(minutes=20, seconds=1), tick=False):
        response = client.post(_answer_url(attempt, 1), {f"q{question.pk}": right.pk})
    assert response.status_code == 409
    assert "Time is up" in response.content.decode()
    assert not Response.objects.filter(answer_text__gt="").exists()
    attempt.refresh_from_db()
    assert attempt.finished_at == attempt.deadline


def test_an_answer_one_second_before_the_deadline_counts(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
    _case, question, right = picks[0]
    with time_machine.travel(START + timedelta(minutes=19, seconds=59), tick=False):
        assert (
            client.post(_answer_url(attempt, 1), {f"q{question.pk}": right.pk}).status_code == 302
        )
    assert Response.objects.get(question=question).score == 1.0


def test_finishing_an_exam_scores_unanswered_questions_zero_and_reveals(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    client.force_login(resident)
    attempt = _start(client, quiz)
    _case, question, right = picks[0]
    client.post(_answer_url(attempt, 1), {f"q{question.pk}": right.pk})
    client.post(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/finish/", {"confirm": "hand-in"})
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.score == 0.5
    results = client.get(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/").content.decode()
    assert "50%" in results
    page = client.get(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/").content.decode()
    assert "Quiz diagnosis 0" in page
    assert ReviewCard.objects.filter(user=resident, question=picks[1][1]).exists()


def test_another_residents_attempt_is_404(
    client: Client, resident: AbstractUser, other_resident: AbstractUser
) -> None:
    quiz, picks = _quiz()
    client.force_login(resident)
    attempt = _start(client, quiz)
    client.force_login(other_resident)
    base = f"/quizzes/{quiz.pk}/attempts/{attempt.pk}"
    assert client.get(f"{base}/cases/1/").status_code == 404
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f"{base}/finish/").status_code == 404
    _case, question, right = picks[0]
    assert client.post(_answer_url(attempt, 1), {f"q{question.pk}": right.pk}).status_code == 404
    assert not Response.objects.exists()


def test_a_quiz_neither_open_nor_assigned_is_404(client: Client, resident: AbstractUser) -> None:
    quiz, _ = _quiz(is_open=False)
    client.force_login(resident)
    assert client.get(f"/quizzes/{quiz.pk}/").status_code == 404
    assert client.post(f"/quizzes/{quiz.pk}/start/").status_code == 404


def test_assigned_quizzes_come_first_and_overdue_is_marked(
    client: Client, resident: AbstractUser, cohort: object
) -> None:
    from quiz.models import Assignment

    assigned, _ = _quiz(is_open=False, title="Zz assigned quiz")
    QuizFactory(title="Aa open quiz", is_open=True)
    Assignment.objects.create(quiz=assigned, cohort=cohort, due_at=START)
    client.force_login(resident)
    with time_machine.travel(START + timedelta(days=1)):
        body = client.get("/quizzes/").content.decode()
    assert body.index("Zz assigned quiz") < body.index("Aa open quiz")
    assert "Overdue" in body


def test_the_library_refuses_a_case_of_a_running_exam(
    client: Client, resident: AbstractUser
) -> None:
    quiz, picks = _quiz(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20), is_open=True)
    client.force_login(resident)
    _start(client, quiz)
    case, question, right = picks[0]
    response = client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": right.pk})
    assert response.status_code == 409
    assert not Response.objects.exists()
    assert "Quiz diagnosis 0" not in client.get(case.get_absolute_url()).content.decode()
