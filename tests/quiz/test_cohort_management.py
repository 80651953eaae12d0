"""Cohort management: a director's members (with training year) and assigned quizzes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from quiz.models import Assignment, Membership
from teachingfile import roles
from tests.factories import AssignmentFactory, MembershipFactory, QuizFactory, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _detail(cohort) -> str:  # type: ignore[no-untyped-def]
    return reverse("cohorts:cohort_detail", args=[cohort.pk])


def test_the_list_shows_only_the_directors_cohorts(client, director, cohort, other_cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    body = client.get(reverse("cohorts:cohort_list")).content.decode()
    assert _detail(cohort) in body
    assert _detail(other_cohort) not in body and "Other program" not in body


@pytest.mark.parametrize("persona", ["resident", "faculty", "outsider", "other_director"])
def test_only_the_programs_director_reaches_a_cohort(  # type: ignore[no-untyped-def]
    client, request, cohort, other_cohort, persona
) -> None:
    client.force_login(request.getfixturevalue(persona))
    membership = cohort.memberships.get()
    assignment = AssignmentFactory(cohort=cohort)
    assert client.get(_detail(cohort)).status_code == 404
    posts = [
        (reverse("cohorts:member_add", args=[cohort.pk]), {"username": "oscar"}),
        (reverse("cohorts:member_remove", args=[cohort.pk, membership.pk]), {}),
        (reverse("cohorts:assignment_add", args=[cohort.pk]), {"quiz": QuizFactory().pk}),
        (reverse("cohorts:assignment_remove", args=[cohort.pk, assignment.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404
    assert Membership.objects.filter(cohort=cohort).count() == 1
    assert Assignment.objects.filter(cohort=cohort).count() == 1


def test_residents_and_faculty_do_not_see_the_cohort_list(client, resident, faculty) -> None:  # type: ignore[no-untyped-def]
    for user in (resident, faculty):
        client.force_login(user)
        assert client.get(reverse("cohorts:cohort_list")).status_code == 404


def test_a_director_adds_a_resident_by_username_with_a_plain_form(  # type: ignore[no-untyped-def]
    client, director, cohort
) -> None:
    newcomer = make_user("nina", roles.RESIDENT, first_name="Nina", last_name="Ng")
    client.force_login(director)
    url = reverse("cohorts:member_add", args=[cohort.pk])
    response = client.post(url, {"username": " NINA ", "training_year": "3"})
    assert response.status_code == 302 and response["Location"] == _detail(cohort)
    assert Membership.objects.get(cohort=cohort, resident=newcomer).training_year == 3
    page = client.get(response["Location"]).content.decode()
    assert "Nina Ng added as PGY-3." in page and "nina" in page


def test_adding_by_htmx_returns_the_members_section(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    make_user("nina", roles.RESIDENT)
    client.force_login(director)
    url = reverse("cohorts:member_add", args=[cohort.pk])
    response = client.post(url, {"username": "nina", "training_year": "1"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="members"')
    assert "<html" not in body and "nina added as PGY-1." in body


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "This field is required."),
        ("nobody", "No resident has the username “nobody”."),
        ("farid", "No resident has the username “farid”."),
        ("rosa", "rosa is already in this cohort."),
    ],
)
def test_a_bad_username_is_refused_with_a_message_and_kept(  # type: ignore[no-untyped-def]
    client, director, cohort, faculty, username, message
) -> None:
    client.force_login(director)
    url = reverse("cohorts:member_add", args=[cohort.pk])
    for headers in ({}, HTMX):
        response = client.post(url, {"username": username, "training_year": "2"}, headers=headers)
        assert response.status_code == 422
        body = response.content.decode()
        assert message in body
        assert f'value="{username}"' in body
        assert ("<html" in body) is (not headers)
    assert Membership.objects.filter(cohort=cohort).count() == 1


def test_a_training_year_out_of_range_is_refused(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    make_user("nina", roles.RESIDENT)
    client.force_login(director)
    url = reverse("cohorts:member_add", args=[cohort.pk])
    response = client.post(url, {"username": "nina", "training_year": "9"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(resident__username="nina").exists()


def test_a_director_removes_a_member_and_keeps_their_answers(  # type: ignore[no-untyped-def]
    client, director, cohort, resident
) -> None:
    membership = cohort.memberships.get()
    client.force_login(director)
    url = reverse("cohorts:member_remove", args=[cohort.pk, membership.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, headers=HTMX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="members"')
    assert "rosa removed from PGY-2" in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    again = MembershipFactory(cohort=cohort, resident=resident)
    plain = client.post(reverse("cohorts:member_remove", args=[cohort.pk, again.pk]))
    assert plain.status_code == 302
    assert not Membership.objects.filter(pk=again.pk).exists()


def test_a_membership_of_another_cohort_is_not_found_through_mine(  # type: ignore[no-untyped-def]
    client, director, cohort, other_cohort
) -> None:
    theirs = other_cohort.memberships.get()
    client.force_login(director)
    url = reverse("cohorts:member_remove", args=[cohort.pk, theirs.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_a_director_assigns_a_quiz_with_a_due_date(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    quiz = QuizFactory(title="Calcification week")
    due = (timezone.localtime() + timedelta(days=7)).replace(second=0, microsecond=0)
    client.force_login(director)
    url = reverse("cohorts:assignment_add", args=[cohort.pk])
    response = client.post(url, {"quiz": quiz.pk, "due_at": due.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assignment = Assignment.objects.get(cohort=cohort, quiz=quiz)
    assert assignment.due_at == due and assignment.assigned_by == director
    assert "Calcification week" in client.get(_detail(cohort)).content.decode()


def test_assigning_by_htmx_returns_the_assignments_section(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    quiz = QuizFactory(title="No deadline quiz")
    client.force_login(director)
    url = reverse("cohorts:assignment_add", args=[cohort.pk])
    response = client.post(url, {"quiz": quiz.pk, "due_at": ""}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="assignments"') and "<html" not in body
    assert "no due date" in body
    assert Assignment.objects.get(cohort=cohort, quiz=quiz).due_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quiz": ""}, "This field is required."),
        ({"quiz": "999999"}, "Select a valid choice."),
        ({"due_at": "not a date"}, "Enter a valid date/time."),
        ({"due_at": "2001-01-01T09:00"}, "The due date is in the past."),
        ({"quiz": "taken"}, "“Taken” is already assigned to this cohort."),
    ],
)
def test_a_bad_assignment_is_refused_with_a_message(  # type: ignore[no-untyped-def]
    client, director, cohort, data, message
) -> None:
    taken = QuizFactory(title="Taken")
    AssignmentFactory(cohort=cohort, quiz=taken)
    payload = {"quiz": QuizFactory(title="Fresh").pk, "due_at": "", **data}
    if payload["quiz"] == "taken":
        payload["quiz"] = taken.pk
    client.force_login(director)
    url = reverse("cohorts:assignment_add", args=[cohort.pk])
    for headers in ({}, HTMX):
        response = client.post(url, payload, headers=headers)
        assert response.status_code == 422
        assert message in response.content.decode()
    assert Assignment.objects.filter(cohort=cohort).count() == 1


def test_a_director_withdraws_an_assignment(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    first, second = AssignmentFactory(cohort=cohort), AssignmentFactory(cohort=cohort)
    client.force_login(director)
    plain = client.post(reverse("cohorts:assignment_remove", args=[cohort.pk, first.pk]))
    assert plain.status_code == 302
    partial = client.post(
        reverse("cohorts:assignment_remove", args=[cohort.pk, second.pk]), headers=HTMX
    )
    assert partial.content.decode().lstrip().startswith('<section id="assignments"')
    assert not Assignment.objects.filter(cohort=cohort).exists()


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_cohort_pages_make_a_fixed_number_of_queries(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    urls = [reverse("cohorts:cohort_list"), _detail(cohort)]
    before = [_count(client, url) for url in urls]
    for i in range(5):
        MembershipFactory(cohort=cohort, resident=make_user(f"extra{i}", roles.RESIDENT))
        AssignmentFactory(cohort=cohort, due_at=timezone.now() + timedelta(days=i + 1))
    assert [_count(client, url) for url in urls] == before
    assert max(before) <= 8
