"""The faculty review page: workflow buttons, the history, ratings and comment hiding."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from teachingfile.models import Case, Rating, StatusChange
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    CommentFactory,
    QuestionFactory,
    RatingFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(faculty):  # type: ignore[no-untyped-def]
    """farid's case, complete and waiting for a colleague."""
    case = CaseFactory(status=Case.Status.IN_REVIEW, owner=faculty)
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    return case


def _review(case: Case) -> str:
    return reverse("peer_review:case_review", args=[case.public_id])


def _status(case: Case) -> str:
    return reverse("peer_review:case_status", args=[case.public_id])


def test_a_colleague_publishes_a_submitted_case(client, other_faculty, submitted) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_faculty)
    page = client.get(_review(submitted)).content.decode()
    assert 'value="published"' in page and 'value="draft"' in page
    response = client.post(_status(submitted), {"to_status": "published"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Case.Status.PUBLISHED
    change = StatusChange.objects.get(case=submitted)
    assert (change.by, change.from_status, change.to_status) == (
        other_faculty,
        "in_review",
        "published",
    )


def test_returning_a_case_needs_a_note_and_keeps_what_was_typed(
    client, other_faculty, submitted
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_faculty)
    response = client.post(_status(submitted), {"to_status": "draft", "note": "   "})
    assert response.status_code == 422
    assert "Say what needs changing" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Case.Status.IN_REVIEW
    client.post(_status(submitted), {"to_status": "draft", "note": "Add the lateral view."})
    submitted.refresh_from_db()
    assert submitted.status == Case.Status.DRAFT
    page = client.get(_review(submitted)).content.decode()
    assert "Add the lateral view." in page


def test_the_author_cannot_publish_their_own_case(client, faculty, submitted) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    assert 'value="published"' not in client.get(_review(submitted)).content.decode()
    client.post(_status(submitted), {"to_status": "published"})
    submitted.refresh_from_db()
    assert submitted.status == Case.Status.IN_REVIEW
    assert not StatusChange.objects.exists()


def test_residents_and_directors_never_reach_the_review_page(  # type: ignore[no-untyped-def]
    client, resident, director, submitted
) -> None:
    for user in (resident, director):
        client.force_login(user)
        assert client.get(_review(submitted)).status_code == 404
        assert client.post(_status(submitted), {"to_status": "published"}).status_code == 404
        assert client.get(reverse("peer_review:review_queue")).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Case.Status.IN_REVIEW


def test_a_rating_is_one_per_rater_and_editable(client, other_faculty, submitted) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_faculty)
    url = reverse("peer_review:case_rating", args=[submitted.public_id])
    client.post(url, {"difficulty": "2", "quality": "3", "note": "Clear images."})
    client.post(url, {"difficulty": "4", "quality": "5", "note": ""})
    rating = Rating.objects.get(case=submitted)
    assert (rating.rater, rating.difficulty, rating.quality, rating.note) == (
        other_faculty,
        4,
        5,
        "",
    )


def test_a_bad_rating_is_refused_with_a_message(client, other_faculty, submitted) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_faculty)
    url = reverse("peer_review:case_rating", args=[submitted.public_id])
    response = client.post(url, {"difficulty": "9", "quality": "3", "note": "keep me"})
    assert response.status_code == 422
    assert "keep me" in response.content.decode()
    assert not Rating.objects.exists()


def test_the_page_shows_aggregate_ratings_beside_the_measured_facility(  # type: ignore[no-untyped-def]
    client, other_faculty, submitted
) -> None:
    RatingFactory(case=submitted, rater=None, rater_label="source", difficulty=2, quality=3)
    question = submitted.questions.get()
    for score in (1, 0, 0.5, 1):
        attempt = AttemptFactory(finished_at=timezone.now())  # only finished ones count
        ResponseFactory(attempt=attempt, question=question, score=score)
    client.force_login(other_faculty)
    page = client.get(_review(submitted)).content.decode()
    assert "#D2.0 #Q3.0</strong> (n=1)" in page
    assert "62%" in page  # mean of 1, 0, 0.5, 1


def test_faculty_hide_a_comment_and_it_records_who(
    client, other_faculty, resident, submitted
) -> None:  # type: ignore[no-untyped-def]
    comment = CommentFactory(case=submitted, author=resident)
    client.force_login(other_faculty)
    url = reverse("peer_review:comment_visibility", args=[comment.pk])
    response = client.post(url, {"hidden": "1"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by == other_faculty
    client.post(url, {"hidden": "0"})
    comment.refresh_from_db()
    assert not comment.hidden and comment.hidden_by is None


def test_hiding_by_htmx_returns_the_actions_fragment(
    client, other_faculty, resident, submitted
) -> None:  # type: ignore[no-untyped-def]
    comment = CommentFactory(case=submitted, author=resident)
    client.force_login(other_faculty)
    url = reverse("peer_review:comment_visibility", args=[comment.pk])
    response = client.post(url, {"hidden": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith(f'<div id="comment-actions-{comment.pk}"')
    assert "Show to residents again" in body


def test_residents_cannot_hide_comments(client, resident, submitted) -> None:  # type: ignore[no-untyped-def]
    comment = CommentFactory(case=submitted, author=resident)
    client.force_login(resident)
    url = reverse("peer_review:comment_visibility", args=[comment.pk])
    assert client.post(url, {"hidden": "1"}).status_code == 404
    comment.refresh_from_db()
    assert not comment.hidden


def test_it_rejects_get_on_actions(client, other_faculty, submitted) -> None:  # type: ignore[no-untyped-def]
    client.force_login(other_faculty)
    assert client.get(_status(submitted)).status_code == 405


def test_the_review_queue_lists_colleagues_cases_in_fixed_queries(  # type: ignore[no-untyped-def]
    client, faculty, other_faculty, submitted
) -> None:
    client.force_login(other_faculty)
    url = reverse("peer_review:review_queue")
    client.get(url)  # measures the statistics flags once; they are cached for 15 minutes
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    assert submitted.public_id in page
    for _ in range(4):
        CaseFactory(status=Case.Status.IN_REVIEW, owner=faculty)
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(second) == len(first)


def test_the_review_page_query_count_does_not_grow_with_comments(  # type: ignore[no-untyped-def]
    client, other_faculty, resident, submitted
) -> None:
    client.force_login(other_faculty)
    CommentFactory(case=submitted, author=resident)
    with CaptureQueriesContext(connection) as first:
        client.get(_review(submitted))
    for _ in range(4):
        CommentFactory(case=submitted, author=resident)
        RatingFactory(case=submitted, rater=None, rater_label="x")
    with CaptureQueriesContext(connection) as second:
        client.get(_review(submitted))
    assert len(second) == len(first)
