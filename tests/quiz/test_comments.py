"""Comments belong to the reveal: posted and read only after answering; hidden ones stay
hidden from residents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from teachingfile.models import Case, Comment, Question
from tests.factories import (
    CaseFactory,
    CommentFactory,
    single_choice_case,
)

pytestmark = pytest.mark.django_db


def _case() -> tuple[Case, Question, object]:
    case, question, right, _wrong = single_choice_case()
    return case, question, right


def _answer(client: Client, case: Case, question: Question, choice: object) -> None:
    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": choice.pk})  # type: ignore[attr-defined]


def test_a_resident_cannot_comment_before_answering(client: Client, resident: AbstractUser) -> None:
    case, _question, _right = _case()
    client.force_login(resident)
    refused = client.post(f"/cases/{case.public_id}/comments/", {"body": "Too early"})
    assert refused.status_code == 403
    assert not Comment.objects.exists()
    assert 'id="comment-body"' not in client.get(case.get_absolute_url()).content.decode()


def test_a_resident_comments_after_answering_and_sees_the_comment(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right = _case()
    client.force_login(resident)
    _answer(client, case, question, right)
    posted = client.post(f"/cases/{case.public_id}/comments/", {"body": "Nice sign."})
    assert posted.status_code == 302
    assert posted["Location"] == f"{case.get_absolute_url()}#comments"
    comment = Comment.objects.get()
    assert comment.author == resident and comment.case == case
    assert "Nice sign." in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_blank_comment_is_refused_with_a_message(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    case, question, right = _case()
    client.force_login(resident)
    _answer(client, case, question, right)
    headers = {"HX-Request": "true"} if htmx else {}
    posted = client.post(f"/cases/{case.public_id}/comments/", {"body": "   "}, headers=headers)
    assert posted.status_code == (422 if htmx else 400)
    assert not Comment.objects.exists()
    assert "the comment is empty" in posted.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_20000_character_comment_is_refused_and_the_text_is_kept(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    case, question, right = _case()
    client.force_login(resident)
    _answer(client, case, question, right)
    body = "calcinosis " * 1818 + "end-of-my-text"  # 20,012 characters
    headers = {"HX-Request": "true"} if htmx else {}
    posted = client.post(f"/cases/{case.public_id}/comments/", {"body": body}, headers=headers)
    assert posted.status_code == (422 if htmx else 400)
    page = posted.content.decode()
    assert not Comment.objects.exists()
    assert "at most 5,000 characters" in page and "this one has 20,012" in page
    assert "end-of-my-text</textarea>" in page  # nothing typed is lost
    if htmx:
        assert page.lstrip().startswith('<section class="comments" id="comments"')


def test_a_comment_of_exactly_5000_characters_is_posted(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right = _case()
    client.force_login(resident)
    _answer(client, case, question, right)
    posted = client.post(
        f"/cases/{case.public_id}/comments/", {"body": "x" * 5000}, headers={"HX-Request": "true"}
    )
    assert posted.status_code == 200 and "Comment posted." in posted.content.decode()
    assert len(Comment.objects.get().body) == 5000
    assert posted.content.decode().count('class="comment"') == 1


def test_comments_are_absent_before_the_reveal(client: Client, resident: AbstractUser) -> None:
    case, _question, _right = _case()
    CommentFactory(case=case, body="An early spoiler comment")
    client.force_login(resident)
    assert "An early spoiler comment" not in client.get(case.get_absolute_url()).content.decode()


def test_a_hidden_comment_is_not_shown_to_residents_but_faculty_see_it_marked(
    client: Client, resident: AbstractUser, faculty: AbstractUser
) -> None:
    case, question, right = _case()
    CommentFactory(case=case, body="A visible remark")
    CommentFactory(case=case, body="A hidden remark", hidden=True, hidden_by=faculty)
    client.force_login(resident)
    _answer(client, case, question, right)
    body = client.get(case.get_absolute_url()).content.decode()
    assert "A visible remark" in body and "A hidden remark" not in body

    client.force_login(faculty)
    body = client.get(f"{case.get_absolute_url()}?reveal=1").content.decode()
    assert "A hidden remark" in body and "Hidden from residents" in body


def test_a_draft_case_cannot_be_commented_by_a_resident(
    client: Client, resident: AbstractUser
) -> None:
    case = CaseFactory(status=Case.Status.DRAFT)
    client.force_login(resident)
    assert client.post(f"/cases/{case.public_id}/comments/", {"body": "x"}).status_code == 404
