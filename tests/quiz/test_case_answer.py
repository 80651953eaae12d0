"""Answering a library case: the server scores, stores one row per question, then reveals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Response, ReviewCard
from teachingfile.models import Case, Question
from tests.factories import (
    AcceptedAnswerFactory,
    single_choice_case,
)

pytestmark = pytest.mark.django_db


def _single_choice_case(**case_fields: object) -> tuple[Case, Question, object, object]:
    return single_choice_case(
        explanation="Because of the secret reason.",
        right="Right pick",
        wrong="Wrong pick",
        right_rationale="Right rationale text.",
        wrong_rationale="Wrong rationale text.",
        **case_fields,
    )


def _answer_url(case: Case) -> str:
    return f"/cases/{case.public_id}/answer/"


def test_it_hides_the_reveal_until_the_case_is_answered(
    client: Client, resident: AbstractUser
) -> None:
    case, _question, _right, _wrong = _single_choice_case()
    client.force_login(resident)
    body = client.get(case.get_absolute_url()).content.decode()
    for secret in (
        case.known_title,
        case.diagnosis,
        "Secret findings",
        "Right rationale",
        "Because of the secret reason",
    ):
        assert secret.lower() not in body.lower()
    assert "Right pick" in body  # the choices themselves are the question


def test_a_plain_post_stores_the_response_and_redirects_to_the_reveal(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right, _wrong = _single_choice_case()
    client.force_login(resident)
    response = client.post(_answer_url(case), {f"q{question.pk}": right.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{case.get_absolute_url()}#case-work"
    stored = Response.objects.get(user=resident, question=question)
    assert stored.score == 1.0 and stored.method == "auto" and stored.is_first_attempt
    assert list(stored.choices.all()) == [right]
    assert stored.attempt.kind == Attempt.Kind.CASE and stored.attempt.is_finished
    body = client.get(case.get_absolute_url()).content.decode()
    assert case.diagnosis in body and "Right rationale text." in body
    assert "Because of the secret reason." in body


def test_htmx_post_returns_the_reveal_fragment(client: Client, resident: AbstractUser) -> None:
    case, question, _right, wrong = _single_choice_case()
    client.force_login(resident)
    response = client.post(
        _answer_url(case), {f"q{question.pk}": wrong.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="case-work"')
    assert "<html" not in body
    assert case.diagnosis in body and "Score 0 / 1" in body
    assert ReviewCard.objects.filter(user=resident, question=question).exists()


def test_a_double_submit_stores_one_response(client: Client, resident: AbstractUser) -> None:
    case, question, right, wrong = _single_choice_case()
    client.force_login(resident)
    client.post(_answer_url(case), {f"q{question.pk}": right.pk})
    client.post(_answer_url(case), {f"q{question.pk}": wrong.pk})
    rows = Response.objects.filter(user=resident, question=question)
    assert rows.count() == 1
    assert rows.get().score == 1.0  # the first answer stands


def test_a_blank_answer_is_refused_and_nothing_is_stored(
    client: Client, resident: AbstractUser
) -> None:
    case, question, _right, _wrong = _single_choice_case()
    client.force_login(resident)
    response = client.post(_answer_url(case), {f"q{question.pk}": ""})
    assert response.status_code == 400
    assert "Give an answer" in response.content.decode()
    assert not Response.objects.exists()
    htmx = client.post(_answer_url(case), {}, headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and "Give an answer" in htmx.content.decode()
    assert case.diagnosis not in htmx.content.decode()


def test_free_text_typo_is_accepted_and_judgement_is_shown(
    client: Client, resident: AbstractUser
) -> None:
    accepted = AcceptedAnswerFactory(text="calciphylaxis")
    case = accepted.question.case
    client.force_login(resident)
    client.post(_answer_url(case), {f"q{accepted.question.pk}": "Calcifylaxis"})
    stored = Response.objects.get(user=resident)
    assert stored.score == 1.0
    assert "similarity 88, threshold 88" in stored.judgement
    body = client.get(case.get_absolute_url()).content.decode()
    assert "Close match (typo tolerance)" in body


def test_a_draft_is_404_for_a_resident_and_its_answer_endpoint_too(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right, _wrong = _single_choice_case(status=Case.Status.DRAFT)
    client.force_login(resident)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.post(_answer_url(case), {f"q{question.pk}": right.pk}).status_code == 404
    assert not Response.objects.exists()


def test_the_answer_endpoint_rejects_get(client: Client, resident: AbstractUser) -> None:
    case, _q, _r, _w = _single_choice_case()
    client.force_login(resident)
    assert client.get(_answer_url(case)).status_code == 405


def test_faculty_can_preview_the_reveal_explicitly(
    client: Client, faculty: AbstractUser, resident: AbstractUser
) -> None:
    case, _q, _r, _w = _single_choice_case()
    client.force_login(faculty)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Show the reveal (faculty)" in page and case.diagnosis not in page
    preview = client.get(case.get_absolute_url() + "?reveal=1").content.decode()
    assert case.diagnosis in preview and "Right rationale text." in preview
    client.force_login(resident)
    assert case.diagnosis not in client.get(case.get_absolute_url() + "?reveal=1").content.decode()
