"""Try again: a revealed library case can be answered afresh; the old answers stay."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Response
from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _case():  # type: ignore[no-untyped-def]
    case = CaseFactory(known_title="Known after reveal")
    question = QuestionFactory(case=case)
    right = ChoiceFactory(question=question, order=0, is_correct=True)
    wrong = ChoiceFactory(question=question, order=1)
    return case, question, right, wrong


def test_the_reveal_offers_try_again_and_the_unanswered_page_does_not(
    client: Client, resident: AbstractUser
) -> None:
    case, question, _right, wrong = _case()
    client.force_login(resident)
    retry = f'action="/cases/{case.public_id}/retry/"'
    assert retry not in client.get(case.get_absolute_url()).content.decode()
    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": wrong.pk})
    assert retry in client.get(case.get_absolute_url()).content.decode()


def test_try_again_starts_a_fresh_attempt_and_keeps_the_first_answer(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right, wrong = _case()
    client.force_login(resident)
    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": wrong.pk})
    back = client.post(f"/cases/{case.public_id}/retry/")
    assert back.status_code == 302 and back["Location"] == case.get_absolute_url()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Known after reveal" not in page and f'name="q{question.pk}"' in page

    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": right.pk})
    first, second = Response.objects.filter(user=resident).order_by("id")
    assert (first.score, second.score) == (0.0, 1.0)
    assert first.attempt_id != second.attempt_id
    assert first.is_first_attempt and not second.is_first_attempt  # statistics use the first
    assert Attempt.objects.filter(user=resident, kind=Attempt.Kind.CASE).count() == 2


def test_try_again_rejects_get_and_a_draft_is_404(client: Client, resident: AbstractUser) -> None:
    case, _question, _right, _wrong = _case()
    draft = CaseFactory(status="draft")
    client.force_login(resident)
    assert client.get(f"/cases/{case.public_id}/retry/").status_code == 405
    assert client.post(f"/cases/{draft.public_id}/retry/").status_code == 404
    assert not Attempt.objects.exists()
