"""CSV import of a cohort, role changes and deactivation on the people pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from people.models import AuditAction, AuditEvent
from quiz.models import Cohort, Membership, Response
from teachingfile import roles
from tests.factories import CohortFactory, ProgramFactory, ResponseFactory, make_user

User = get_user_model()

GOOD = (
    "name,email,training_year\n"
    "Jane Doe,jane.doe@hospital.example,1\n"
    '"Okafor, Nia",nia@hospital.example,2\n'
)


@pytest.fixture
def dana(client: Client, director: AbstractUser, cohort: Cohort) -> Client:
    client.force_login(director)
    return client


# ------------------------------------------------------------------ CSV import


def test_it_imports_a_cohort_and_invites_everyone(dana: Client, cohort: Cohort) -> None:
    upload = SimpleUploadedFile("cohort.csv", GOOD.encode(), content_type="text/csv")
    response = dana.post("/people/import/", {"cohort": cohort.pk, "file": upload})
    assert response.status_code == 302
    jane = User.objects.get(email="jane.doe@hospital.example")
    assert (jane.first_name, jane.last_name) == ("Jane", "Doe")
    assert Membership.objects.get(resident=jane, cohort=cohort).training_year == 1
    nia = User.objects.get(email="nia@hospital.example")
    assert (nia.first_name, nia.last_name) == ("Nia", "Okafor")
    assert roles.group_names(nia) == {roles.RESIDENT}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "jane.doe@hospital.example",
        "nia@hospital.example",
    ]


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    dana: Client, cohort: Cohort, resident: AbstractUser
) -> None:
    text = (
        "Jane Doe,jane.doe@hospital.example,1\n"
        "Bad Email,not-an-address,1\n"
        "Too Old,old@hospital.example,12\n"
        f"Rosa Again,{resident.email},2\n"
        "Short row,short@hospital.example\n"
        "Jane Twice,jane.doe@hospital.example,1\n"
    )
    before = User.objects.count()
    response = dana.post("/people/import/", {"cohort": cohort.pk, "text": text})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported" in html
    for line in ("Line 2:", "Line 3:", "Line 4:", "Line 5:", "Line 6:"):
        assert line in html
    assert "Line 1:" not in html
    assert "already has an account" in html
    assert User.objects.count() == before  # the good first row was rolled back too
    assert not mail.outbox
    assert not AuditEvent.objects.filter(action=AuditAction.USER_INVITE).exists()


def test_an_empty_import_is_refused(dana: Client, cohort: Cohort) -> None:
    response = dana.post("/people/import/", {"cohort": cohort.pk, "text": ""})
    assert response.status_code == 422
    assert "Choose a CSV file or paste the rows" in response.content.decode()


def test_a_director_imports_only_into_their_own_cohorts(dana: Client, db: None) -> None:
    away = CohortFactory(program=ProgramFactory(name="Away"))
    response = dana.post("/people/import/", {"cohort": away.pk, "text": GOOD})
    assert response.status_code == 422  # not a choice the form offers
    assert not User.objects.filter(email="jane.doe@hospital.example").exists()


# ------------------------------------------------------------------ role change


def test_it_changes_a_role_and_records_it(dana: Client, resident: AbstractUser) -> None:
    response = dana.post(f"/people/{resident.pk}/role/", {"role": roles.FACULTY})
    assert response.status_code == 302
    resident.refresh_from_db()
    resident.__dict__.pop("_role_names", None)
    assert roles.group_names(resident) == {roles.FACULTY}
    assert resident.is_staff
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGE)
    assert event.subject == resident
    assert event.actor_name == "dana"
    assert event.detail == {"before": roles.RESIDENT, "after": roles.FACULTY}


def test_a_role_change_with_htmx_returns_the_row(dana: Client, resident: AbstractUser) -> None:
    response = dana.post(
        f"/people/{resident.pk}/role/", {"role": roles.FACULTY}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="person-{resident.pk}"' in response.content.decode()
    assert "is now Faculty" in response.content.decode()


def test_a_refused_role_change_is_422_with_htmx(dana: Client, resident: AbstractUser) -> None:
    response = dana.post(
        f"/people/{resident.pk}/role/", {"role": roles.EDITOR}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "cannot give the role" in response.content.decode()
    resident.__dict__.pop("_role_names", None)
    assert roles.group_names(resident) == {roles.RESIDENT}


def test_a_refused_role_change_without_htmx_redirects_with_the_message(
    dana: Client, resident: AbstractUser
) -> None:
    response = dana.post(f"/people/{resident.pk}/role/", {"role": roles.EDITOR}, follow=True)
    assert "cannot give the role" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGE).exists()


def test_a_site_admin_gives_any_role(client: Client, resident: AbstractUser) -> None:
    admin = make_user("ada", is_superuser=True, is_staff=True)
    client.force_login(admin)
    client.post(f"/people/{resident.pk}/role/", {"role": roles.DIRECTOR})
    resident.__dict__.pop("_role_names", None)
    assert roles.group_names(resident) == {roles.DIRECTOR}


def test_a_director_cannot_touch_a_resident_of_another_program(dana: Client, db: None) -> None:
    oscar = make_user("oscar", roles.RESIDENT)
    away = CohortFactory(program=ProgramFactory(name="Away"))
    Membership.objects.create(cohort=away, resident=oscar)
    assert dana.post(f"/people/{oscar.pk}/role/", {"role": roles.FACULTY}).status_code == 404
    assert dana.post(f"/people/{oscar.pk}/deactivate/").status_code == 404
    oscar.refresh_from_db()
    assert oscar.is_active
    assert "oscar" not in dana.get("/people/").content.decode()


# ------------------------------------------------------------------ deactivation


def test_deactivation_stops_logins_and_keeps_the_work(dana: Client, resident: AbstractUser) -> None:
    ResponseFactory(attempt__user=resident)
    rosa = Client()
    rosa.force_login(resident)
    assert rosa.get("/").status_code == 200
    response = dana.post(f"/people/{resident.pk}/deactivate/")
    assert response.status_code == 302
    resident.refresh_from_db()
    assert not resident.is_active
    assert Response.objects.filter(user=resident).count() == 1
    assert Membership.objects.filter(resident=resident).exists()
    # The open session ends, and the password no longer logs in.
    assert rosa.get("/").status_code == 302
    login = Client().post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert login.status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATE, subject=resident).exists()
    # The row now offers reactivation, which lets the old password in again.
    assert "Reactivate" in dana.get("/people/").content.decode()
    dana.post(f"/people/{resident.pk}/reactivate/")
    login = Client().post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert login.status_code == 302


def test_deactivate_with_htmx_returns_the_row(dana: Client, resident: AbstractUser) -> None:
    response = dana.post(f"/people/{resident.pk}/deactivate/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Deactivated" in response.content.decode()


def test_nobody_deactivates_themselves(dana: Client, director: AbstractUser) -> None:
    assert dana.post(f"/people/{director.pk}/deactivate/").status_code == 404
    director.refresh_from_db()
    assert director.is_active


def test_the_people_list_shows_the_cohort_and_status(dana: Client, resident: AbstractUser) -> None:
    html = dana.get("/people/").content.decode()
    assert "rosa" in html
    assert "PGY-2" in html or "(PGY-" in html
    assert "Active" in html
    assert "dana" not in html.split("<tbody>")[1]  # not oneself


def test_reactivate_with_htmx_returns_the_row_and_refuses_without_a_password(
    dana: Client, resident: AbstractUser
) -> None:
    dana.post(f"/people/{resident.pk}/deactivate/")
    response = dana.post(f"/people/{resident.pk}/reactivate/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "can log in again" in response.content.decode()
    resident.set_unusable_password()
    resident.is_active = False
    resident.save()
    refused = dana.post(f"/people/{resident.pk}/reactivate/", HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert "resend the invitation" in refused.content.decode()
    resident.refresh_from_db()
    assert not resident.is_active


def test_the_cohort_page_points_to_invitations(dana: Client, cohort: Cohort) -> None:
    html = dana.get(f"/cohorts/{cohort.pk}/").content.decode()
    assert 'href="/people/invite/"' in html
