"""Inviting people: a one-time link that expires, can be resent, and sets a password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core import mail
from django.test import Client
from django.utils import timezone

from people.models import AuditAction, AuditEvent, Invitation
from quiz.models import Cohort
from teachingfile import roles
from tests.people.conftest import invitation_link

User = get_user_model()
NEW_PASSWORD = "a-Long-enough-pass-phrase"


def _invite(client: Client, **extra: object) -> object:
    data = {
        "first_name": "Nia",
        "last_name": "Okafor",
        "email": "nia.okafor@hospital.example",
        "role": roles.RESIDENT,
        "training_year": 1,
        **extra,
    }
    return client.post("/people/invite/", data)


@pytest.fixture
def dana(client: Client, director: AbstractUser, cohort: Cohort) -> Client:
    client.force_login(director)
    return client


def test_it_invites_a_resident_into_a_cohort_by_email(dana: Client, cohort: Cohort) -> None:
    response = _invite(dana, cohort=cohort.pk, training_year=2)
    assert response.status_code == 302
    nia = User.objects.get(email="nia.okafor@hospital.example")
    assert not nia.is_active and not nia.has_usable_password()
    assert roles.group_names(nia) == {roles.RESIDENT}
    assert nia.memberships.get().cohort == cohort
    assert nia.memberships.get().training_year == 2
    [message] = mail.outbox
    assert message.to == ["nia.okafor@hospital.example"]
    assert nia.username in message.body
    assert AuditEvent.objects.filter(action=AuditAction.USER_INVITE, subject=nia).exists()


def test_the_link_sets_a_password_and_then_logs_in(dana: Client, cohort: Cohort) -> None:
    _invite(dana)
    link = invitation_link(mail.outbox[0])
    guest = Client()
    page = guest.get(link)
    assert page.status_code == 200
    assert "Choose a password" in page.content.decode()
    done = guest.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    nia = User.objects.get(email="nia.okafor@hospital.example")
    assert nia.is_active and nia.check_password(NEW_PASSWORD)
    login = guest.post("/accounts/login/", {"username": nia.username, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert guest.session["_auth_user_id"] == str(nia.pk)


def test_a_used_link_is_refused(dana: Client) -> None:
    _invite(dana)
    link = invitation_link(mail.outbox[0])
    guest = Client()
    guest.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = guest.get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    reuse = guest.post(
        link, {"new_password1": "Another-pass-phrase", "new_password2": "Another-pass-phrase"}
    )
    assert reuse.status_code == 410
    nia = User.objects.get(email="nia.okafor@hospital.example")
    assert nia.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(dana: Client, time_machine: object, settings: object) -> None:
    _invite(dana)
    link = invitation_link(mail.outbox[0])
    later = timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS, minutes=1)  # type: ignore[attr-defined]
    time_machine.move_to(later)  # type: ignore[attr-defined]
    guest = Client()
    response = guest.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.get(email="nia.okafor@hospital.example").is_active


def test_a_made_up_link_is_not_found(client: Client, db: None) -> None:
    assert client.get("/people/welcome/not-a-real-token/").status_code == 404


def test_resend_replaces_the_old_link(dana: Client) -> None:
    _invite(dana)
    old = invitation_link(mail.outbox[0])
    nia = User.objects.get(email="nia.okafor@hospital.example")
    response = dana.post(f"/people/{nia.pk}/resend/")
    assert response.status_code == 302
    new = invitation_link(mail.outbox[1])
    assert new != old
    assert Client().get(old).status_code == 410
    assert Client().get(new).status_code == 200
    assert Invitation.objects.filter(user=nia).count() == 2


def test_resend_with_htmx_returns_the_row(dana: Client) -> None:
    _invite(dana)
    nia = User.objects.get(email="nia.okafor@hospital.example")
    response = dana.post(f"/people/{nia.pk}/resend/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="person-{nia.pk}"')
    assert "new invitation went to" in html


def test_a_bad_invitation_is_refused_with_the_form_kept(
    dana: Client, resident: AbstractUser
) -> None:
    response = _invite(dana, email=resident.email)
    assert response.status_code == 422
    html = response.content.decode()
    assert "already has an account" in html
    assert 'value="Nia"' in html
    assert not mail.outbox


def test_a_director_cannot_give_the_director_role(dana: Client) -> None:
    response = _invite(dana, role=roles.DIRECTOR)
    assert response.status_code == 422
    assert not User.objects.filter(email="nia.okafor@hospital.example").exists()


def test_residents_and_faculty_cannot_invite(
    client: Client, resident: AbstractUser, faculty: AbstractUser
) -> None:
    for person in (resident, faculty):
        client.force_login(person)
        assert client.get("/people/invite/").status_code == 404
        assert _invite(client).status_code == 404
    assert not User.objects.filter(email="nia.okafor@hospital.example").exists()
