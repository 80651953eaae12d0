"""The grading queue: faculty score answers the machine could not, and the override is kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quiz.models import Response
from teachingfile.models import Question
from tests.factories import (
    AcceptedAnswerFactory,
    AttemptFactory,
    QuestionFactory,
    ResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _pending(user=None, text: str = "calciphylaxis?") -> Response:  # type: ignore[no-untyped-def]
    question = QuestionFactory(kind=Question.Kind.FREE_TEXT)
    AcceptedAnswerFactory(question=question, text="calciphylaxis")
    AcceptedAnswerFactory(question=question, text="calcific uraemic arteriolopathy")
    attempt = AttemptFactory(user=user or UserFactory())
    return ResponseFactory(
        attempt=attempt,
        question=question,
        answer_text=text,
        score=None,
        method=Response.Method.PENDING,
    )


def _grade(response: Response) -> str:
    return reverse("grading:grade_response", args=[response.pk])


def test_the_queue_lists_undecided_answers_without_the_learners_name(client, faculty) -> None:  # type: ignore[no-untyped-def]
    waiting = _pending(UserFactory(username="learner-x", first_name="Xavier"), text="calcinosis")
    decided = ResponseFactory(answer_text="already scored")
    client.force_login(faculty)
    body = client.get(reverse("grading:grading_queue")).content.decode()
    assert "calcinosis" in body and f'id="grade-{waiting.pk}"' in body
    assert "already scored" not in body and f'id="grade-{decided.pk}"' not in body
    assert "Xavier" not in body and "learner-x" not in body


def test_a_plain_post_records_the_override_and_returns_to_the_queue(client, faculty) -> None:  # type: ignore[no-untyped-def]
    response = _pending()
    client.force_login(faculty)
    reply = client.post(_grade(response) + "?page=1", {"score": "0.5", "note": "half right"})
    assert reply.status_code == 302
    assert reply["Location"] == reverse("grading:grading_queue") + "?page=1"
    response.refresh_from_db()
    assert (response.score, response.method, response.scored_by) == (0.5, "override", faculty)
    assert "half right" in response.judgement
    assert "Score recorded." in client.get(reply["Location"]).content.decode()


def test_an_htmx_post_returns_the_recorded_row(client, faculty) -> None:  # type: ignore[no-untyped-def]
    response = _pending()
    client.force_login(faculty)
    reply = client.post(_grade(response), {"score": "1"}, headers=HTMX)
    assert reply.status_code == 200
    body = reply.content.decode()
    assert body.lstrip().startswith(f'<tr id="grade-{response.pk}"')
    assert "<html" not in body and "Recorded by farid" in body
    response.refresh_from_db()
    assert response.method == Response.Method.OVERRIDE and response.score == 1.0


def test_the_waiting_count_follows_a_grade_on_both_paths(client, faculty) -> None:  # type: ignore[no-untyped-def]
    first, second = _pending(), _pending()
    client.force_login(faculty)
    assert "2 answers waiting" in client.get(reverse("grading:grading_queue")).content.decode()
    # htmx: the count comes back out of band beside the row.
    reply = client.post(_grade(first), {"score": "1"}, headers=HTMX).content.decode()
    assert '<p id="grading-count"' in reply and 'hx-swap-oob="true"' in reply
    assert "1 answer waiting" in reply
    # A plain post redirects to the queue, which counts afresh.
    reply = client.post(_grade(second), {"score": "0"}, follow=True).content.decode()
    assert "0 answers waiting" in reply


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("", "Give a score between 0 and 1."),
        ("lots", "Give a score between 0 and 1."),
        ("1.5", "A score is between 0 and 1."),
    ],
)
def test_a_bad_score_is_refused_with_a_message_and_the_note_kept(  # type: ignore[no-untyped-def]
    client, faculty, score, message
) -> None:
    response = _pending()
    client.force_login(faculty)
    for headers in ({}, HTMX):
        reply = client.post(
            _grade(response), {"score": score, "note": "check spelling"}, headers=headers
        )
        assert reply.status_code == 422
        body = reply.content.decode()
        assert message in body and 'value="check spelling"' in body
        assert ("<html" in body) is (not headers)
    response.refresh_from_db()
    assert response.method == Response.Method.PENDING and response.score is None


def test_an_answer_already_graded_is_no_longer_in_the_queue(client, faculty) -> None:  # type: ignore[no-untyped-def]
    response = _pending()
    client.force_login(faculty)
    client.post(_grade(response), {"score": "1"})
    assert client.post(_grade(response), {"score": "0"}).status_code == 404
    response.refresh_from_db()
    assert response.score == 1.0


@pytest.mark.parametrize("persona", ["resident", "director", "outsider"])
def test_only_faculty_grade(client, request, persona) -> None:  # type: ignore[no-untyped-def]
    response = _pending()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("grading:grading_queue")).status_code == 404
    for headers in ({}, HTMX):
        assert client.post(_grade(response), {"score": "1"}, headers=headers).status_code == 404
    response.refresh_from_db()
    assert response.method == Response.Method.PENDING


def test_grading_rejects_get(client, faculty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    assert client.get(_grade(_pending())).status_code == 405


def _count(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("grading:grading_queue")).status_code == 200
    return len(queries)


def test_the_queue_makes_a_fixed_number_of_queries(client, faculty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    _pending()
    before = _count(client)
    for _ in range(8):
        _pending()
    self_assessed = _pending()
    Response.objects.filter(pk=self_assessed.pk).update(method=Response.Method.SELF, score=0.5)
    assert _count(client) == before
    assert before <= 7


def test_an_empty_queue_says_so_in_fixed_queries(client, faculty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    body = client.get(reverse("grading:grading_queue")).content.decode()
    assert "Nothing waiting." in body
    assert _count(client) <= 5
