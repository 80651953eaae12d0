"""Times shown in each person's own zone, with the zone named; stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from people.models import Profile
from quiz.models import Assignment, Cohort
from tests.factories import AssignmentFactory, QuizFactory

DUE = datetime(2027, 1, 15, 18, 30, tzinfo=UTC)


@pytest.fixture
def assignment(cohort: Cohort) -> Assignment:
    return AssignmentFactory(quiz=QuizFactory(title="Knee quiz"), cohort=cohort, due_at=DUE)


def _cohort_page(client: Client, cohort: Cohort) -> str:
    return client.get(f"/cohorts/{cohort.pk}/").content.decode()


def test_times_are_in_the_sites_zone_by_default(
    client: Client, director: AbstractUser, assignment: Assignment, settings: object
) -> None:
    client.force_login(director)
    assert "15 Jan 2027 18:30 UTC" in _cohort_page(client, assignment.cohort)


def test_times_are_rendered_in_the_users_zone(
    client: Client, director: AbstractUser, assignment: Assignment
) -> None:
    Profile.objects.create(user=director, time_zone="America/Chicago")
    client.force_login(director)
    html = _cohort_page(client, assignment.cohort)
    assert "15 Jan 2027 12:30 CST" in html
    assert "18:30" not in html.split('datetime="')[0]


def test_the_preferences_page_sets_the_zone_for_the_next_pages(
    client: Client, director: AbstractUser, assignment: Assignment
) -> None:
    client.force_login(director)
    assert "18:30 UTC" in _cohort_page(client, assignment.cohort)
    response = client.post(
        "/people/preferences/", {"time_zone": "Asia/Tokyo", "notices": ["digest"]}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=director).time_zone == "Asia/Tokyo"
    assert "16 Jan 2027 03:30 JST" in _cohort_page(client, assignment.cohort)


def test_an_unknown_zone_is_refused_and_nothing_is_saved(
    client: Client, resident: AbstractUser
) -> None:
    client.force_login(resident)
    response = client.post("/people/preferences/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Profile.objects.get(user=resident).time_zone == ""


def test_a_due_date_typed_in_the_users_zone_is_stored_in_utc(
    client: Client, director: AbstractUser, cohort: Cohort
) -> None:
    Profile.objects.create(user=director, time_zone="America/Chicago")
    client.force_login(director)
    quiz = QuizFactory(title="Spine quiz")
    client.post(
        f"/cohorts/{cohort.pk}/assignments/",
        {"quiz": quiz.pk, "due_at": "2030-03-01T09:00"},
    )
    due = Assignment.objects.get(quiz=quiz).due_at
    assert due == datetime(2030, 3, 1, 15, 0, tzinfo=UTC)


def test_a_bad_site_zone_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import teachingfile.settings

    monkeypatch.setenv("TIME_ZONE", "Chicago")
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE"):
        importlib.reload(teachingfile.settings)
    monkeypatch.delenv("TIME_ZONE")
    importlib.reload(teachingfile.settings)
