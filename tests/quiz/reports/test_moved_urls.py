"""Grading and cohort management left /reports/ (issue 14): their old addresses redirect."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quiz.models import Response
from tests.factories import AttemptFactory, QuestionFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def _old_and_new(cohort, response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    membership = cohort.memberships.get()
    return [
        ("/reports/grading/", reverse("grading:grading_queue")),
        (f"/reports/grading/{response.pk}/", reverse("grading:grade_response", args=[response.pk])),
        ("/reports/cohorts/", reverse("cohorts:cohort_list")),
        (f"/reports/cohorts/{cohort.pk}/", reverse("cohorts:cohort_detail", args=[cohort.pk])),
        (
            f"/reports/cohorts/{cohort.pk}/members/",
            reverse("cohorts:member_add", args=[cohort.pk]),
        ),
        (
            f"/reports/cohorts/{cohort.pk}/members/{membership.pk}/remove/",
            reverse("cohorts:member_remove", args=[cohort.pk, membership.pk]),
        ),
        (
            f"/reports/cohorts/{cohort.pk}/assignments/",
            reverse("cohorts:assignment_add", args=[cohort.pk]),
        ),
        (
            f"/reports/cohorts/{cohort.pk}/assignments/7/remove/",
            reverse("cohorts:assignment_remove", args=[cohort.pk, 7]),
        ),
    ]


@pytest.fixture
def pending(resident) -> Response:  # type: ignore[no-untyped-def]
    attempt = AttemptFactory(user=resident)
    return ResponseFactory(
        attempt=attempt, question=QuestionFactory(), score=None, method=Response.Method.PENDING
    )


def test_the_new_addresses_are_outside_the_reports_namespace(cohort, pending) -> None:  # type: ignore[no-untyped-def]
    for _, new in _old_and_new(cohort, pending):
        assert not new.startswith("/reports/")


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_old_address_redirects_permanently_keeping_the_method(  # type: ignore[no-untyped-def]
    client, director, cohort, pending, method: str
) -> None:
    client.force_login(director)
    for old, new in _old_and_new(cohort, pending):
        response = getattr(client, method)(old + "?page=2")
        # 308 keeps a POST a POST; 301 would turn it into a GET of the new address.
        assert response.status_code == 308, old
        assert response["Location"] == new + "?page=2"


def test_a_grade_posted_to_the_old_address_is_recorded(client, faculty, pending) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    response = client.post(f"/reports/grading/{pending.pk}/", {"score": "1"}, follow=True)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.score == 1.0
    assert pending.method == Response.Method.OVERRIDE
