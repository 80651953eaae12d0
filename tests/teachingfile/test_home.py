from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import CaseFactory


@pytest.mark.django_db
def test_anonymous_home_redirects_to_login(client: Client) -> None:
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_resident_home_shows_assignments_and_review(
    client: Client, resident: AbstractUser, cohort
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(resident)
    body = client.get("/").content.decode()
    assert "Assigned to you" in body
    assert "Due for review" in body
    assert "Your cases" not in body


@pytest.mark.django_db
def test_faculty_home_shows_their_cases(client: Client, faculty: AbstractUser) -> None:
    CaseFactory(owner=faculty, unknown_title="My own draft", status="draft")
    client.force_login(faculty)
    body = client.get("/").content.decode()
    assert "My own draft" in body
    assert "Assigned to you" not in body


@pytest.mark.django_db
def test_director_home_lists_their_cohorts(client: Client, director: AbstractUser, cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    body = client.get("/").content.decode()
    assert "PGY-2" in body


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_the_library(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    CaseFactory.create_batch(3, owner=faculty)
    client.get("/")  # measures the statistics flags once; they are cached for 15 minutes
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    CaseFactory.create_batch(40, owner=faculty)
    with CaptureQueriesContext(connection) as large:
        client.get("/")
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.django_db
def test_resident_home_links_to_the_review_queue(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    body = client.get("/").content.decode()
    assert 'href="/review/"' in body
