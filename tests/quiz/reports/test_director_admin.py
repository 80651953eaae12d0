"""The admin for directors: cohorts, members, assignments and scores of their programs only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quiz.models import Assignment, Cohort, Membership
from teachingfile import roles
from tests.factories import (
    AssignmentFactory,
    AttemptFactory,
    QuizFactory,
    ResponseFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


def _inline(prefix: str = "memberships", rows: list[dict[str, object]] | None = None) -> dict:
    data: dict[str, object] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows or [])),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows or []):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def test_a_director_lists_only_cohorts_of_programs_they_direct(  # type: ignore[no-untyped-def]
    client, director, cohort, other_cohort
) -> None:
    client.force_login(director)
    body = client.get(reverse("admin:quiz_cohort_changelist")).content.decode()
    assert "Home program" in body
    assert "Other program" not in body


def test_a_director_cannot_open_another_programs_cohort(  # type: ignore[no-untyped-def]
    client, director, other_cohort
) -> None:
    client.force_login(director)
    response = client.get(reverse("admin:quiz_cohort_change", args=[other_cohort.pk]))
    # The admin answers a row outside the queryset as missing: back to the index.
    assert response.status_code == 302
    assert "Other program" not in client.get(response["Location"]).content.decode()


def test_a_director_cannot_add_a_cohort_to_another_program(  # type: ignore[no-untyped-def]
    client, director, cohort, other_cohort
) -> None:
    client.force_login(director)
    url = reverse("admin:quiz_cohort_add")
    form = client.get(url).content.decode()
    assert f'value="{cohort.program_id}"' in form
    assert f'value="{other_cohort.program_id}"' not in form
    response = client.post(url, {"program": other_cohort.program_id, "name": "Sneaky", **_inline()})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Cohort.objects.filter(name="Sneaky").exists()
    client.post(url, {"program": cohort.program_id, "name": "PGY-4", **_inline()})
    assert Cohort.objects.filter(name="PGY-4", program=cohort.program).exists()


def test_a_director_adds_residents_but_not_faculty_as_members(  # type: ignore[no-untyped-def]
    client, director, cohort, faculty
) -> None:
    newcomer = make_user("nina", roles.RESIDENT)
    client.force_login(director)
    url = reverse("admin:quiz_cohort_add")
    base = {"program": cohort.program_id, "name": "PGY-1"}
    refused = client.post(
        url, {**base, **_inline(rows=[{"resident": faculty.pk, "training_year": 1}])}
    )
    assert refused.status_code == 200
    assert not Cohort.objects.filter(name="PGY-1").exists()
    client.post(url, {**base, **_inline(rows=[{"resident": newcomer.pk, "training_year": 1}])})
    assert Membership.objects.filter(cohort__name="PGY-1", resident=newcomer).exists()


def test_a_director_assigns_only_to_their_own_cohorts(  # type: ignore[no-untyped-def]
    client, director, cohort, other_cohort
) -> None:
    AssignmentFactory(cohort=other_cohort, quiz=QuizFactory(title="Their quiz"))
    AssignmentFactory(cohort=cohort, quiz=QuizFactory(title="Our quiz"))
    quiz = QuizFactory(title="New quiz")
    client.force_login(director)
    listing = client.get(reverse("admin:quiz_assignment_changelist")).content.decode()
    assert "Our quiz" in listing and "Their quiz" not in listing
    url = reverse("admin:quiz_assignment_add")
    refused = client.post(url, {"quiz": quiz.pk, "cohort": other_cohort.pk})
    assert "Select a valid choice" in refused.content.decode()
    assert not Assignment.objects.filter(quiz=quiz).exists()
    client.post(
        url,
        {
            "quiz": quiz.pk,
            "cohort": cohort.pk,
            "assigned_at_0": "2026-01-05",
            "assigned_at_1": "09:00:00",
        },
    )
    assert Assignment.objects.get(quiz=quiz).assigned_by == director


def test_a_director_sees_only_their_own_program(  # type: ignore[no-untyped-def]
    client, director, cohort, other_cohort
) -> None:
    client.force_login(director)
    body = client.get(reverse("admin:quiz_program_changelist")).content.decode()
    assert "Home program" in body and "Other program" not in body


def test_a_director_sees_only_their_residents_answers(  # type: ignore[no-untyped-def]
    client, director, resident, cohort, other_resident, other_cohort
) -> None:
    ours = ResponseFactory(attempt=AttemptFactory(user=resident), answer_text="ours")
    theirs = ResponseFactory(attempt=AttemptFactory(user=other_resident), answer_text="theirs")
    client.force_login(director)
    listing = client.get(reverse("admin:quiz_response_changelist"))
    ids = {r.pk for r in listing.context["cl"].result_list}
    assert ids == {ours.pk}
    assert client.get(reverse("admin:quiz_response_change", args=[theirs.pk])).status_code == 302
    attempts = client.get(reverse("admin:quiz_attempt_changelist")).context["cl"].result_list
    assert {a.user_id for a in attempts} == {resident.pk}


def test_a_superuser_sees_every_program(client, cohort, other_cohort) -> None:  # type: ignore[no-untyped-def]
    admin_user = make_user("ada", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    body = client.get(reverse("admin:quiz_cohort_changelist")).content.decode()
    assert "Home program" in body and "Other program" in body
