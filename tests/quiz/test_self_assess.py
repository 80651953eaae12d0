"""Self-assessment: an answer the machine cannot judge waits for the learner's verdict."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Response
from teachingfile.models import Case, Question
from tests.factories import AcceptedAnswerFactory, CaseFactory, QuestionFactory

pytestmark = pytest.mark.django_db
LONG_ANSWER = "I think this is probably some kind of soft tissue calcium deposit"


def _free_text_case() -> tuple[Case, Question]:
    case = CaseFactory()
    question = QuestionFactory(case=case, kind=Question.Kind.FREE_TEXT, prompt="Diagnosis?")
    AcceptedAnswerFactory(question=question, text="calciphylaxis")
    return case, question


def _pending(client: Client, resident: AbstractUser) -> tuple[Case, Response]:
    case, question = _free_text_case()
    client.force_login(resident)
    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": LONG_ANSWER})
    response = Response.objects.get(user=resident)
    assert response.method == Response.Method.PENDING and response.score is None
    return case, response


def test_a_long_answer_waits_and_the_reveal_offers_right_partly_wrong(
    client: Client, resident: AbstractUser
) -> None:
    case, response = _pending(client, resident)
    body = client.get(case.get_absolute_url()).content.decode()
    assert "Awaiting your assessment" in body
    assert f"/responses/{response.pk}/self-assess/" in body
    for verdict in ("right", "partly", "wrong"):
        assert f'value="{verdict}"' in body


@pytest.mark.parametrize(("verdict", "score"), [("right", 1.0), ("partly", 0.5), ("wrong", 0.0)])
def test_the_learners_verdict_sets_the_score_and_says_so(
    client: Client, resident: AbstractUser, verdict: str, score: float
) -> None:
    case, response = _pending(client, resident)
    back = client.post(
        f"/responses/{response.pk}/self-assess/",
        {"verdict": verdict, "next": case.get_absolute_url()},
    )
    assert back.status_code == 302 and back["Location"] == case.get_absolute_url()
    response.refresh_from_db()
    assert response.score == score
    assert response.method == Response.Method.SELF
    assert response.scored_by == resident
    attempt = Attempt.objects.get(pk=response.attempt_id)
    assert attempt.score == score  # the library attempt is rescored with it


def test_a_second_verdict_is_refused_and_the_first_stands(
    client: Client, resident: AbstractUser
) -> None:
    _case, response = _pending(client, resident)
    client.post(f"/responses/{response.pk}/self-assess/", {"verdict": "wrong"})
    client.post(f"/responses/{response.pk}/self-assess/", {"verdict": "right"})
    response.refresh_from_db()
    assert response.score == 0.0


def test_an_unknown_verdict_is_refused_and_the_answer_still_waits(
    client: Client, resident: AbstractUser
) -> None:
    _case, response = _pending(client, resident)
    client.post(f"/responses/{response.pk}/self-assess/", {"verdict": "perfect"})
    response.refresh_from_db()
    assert response.method == Response.Method.PENDING and response.score is None


def test_another_residents_answer_is_404_and_unchanged(
    client: Client, resident: AbstractUser, other_resident: AbstractUser
) -> None:
    _case, response = _pending(client, resident)
    client.force_login(other_resident)
    refused = client.post(f"/responses/{response.pk}/self-assess/", {"verdict": "right"})
    assert refused.status_code == 404
    response.refresh_from_db()
    assert response.score is None


def test_an_outside_next_url_is_not_followed(client: Client, resident: AbstractUser) -> None:
    case, response = _pending(client, resident)
    back = client.post(
        f"/responses/{response.pk}/self-assess/",
        {"verdict": "right", "next": "//evil.example/"},
    )
    assert back["Location"] == case.get_absolute_url()


def test_self_assessment_rejects_get(client: Client, resident: AbstractUser) -> None:
    _case, response = _pending(client, resident)
    assert client.get(f"/responses/{response.pk}/self-assess/").status_code == 405
