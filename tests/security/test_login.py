"""Logging in: rate limiting with a clear message, no open redirect, real password rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.factories import CaseFactory, QuestionFactory, ResponseFactory

RIGHT = "pass-word-123"  # the factories' password


def _login(client: Client, password: str, username: str = "rosa", **extra: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


# ---------------------------------------------------------------- rate limiting


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(
    client: Client, resident: AbstractUser
) -> None:
    for _ in range(4):
        response = _login(client, "wrong")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    locked = _login(client, "wrong")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many attempts" in html
    assert "15 minutes" in html
    # Even the right password is refused during the cool-off.
    assert _login(client, RIGHT).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_lifts_after_the_cool_off(
    client: Client, resident: AbstractUser, time_machine: object
) -> None:
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, RIGHT).status_code == 429
    time_machine.move_to(timezone.now() + timedelta(minutes=16))  # type: ignore[attr-defined]
    assert _login(client, RIGHT).status_code == 302


def test_a_lock_on_one_account_leaves_other_accounts_alone(
    client: Client, resident: AbstractUser, other_resident: AbstractUser
) -> None:
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, RIGHT, username="oscar").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(
    client: Client, resident: AbstractUser
) -> None:
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, RIGHT).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200


def test_the_admin_login_is_limited_too(client: Client, editor: AbstractUser) -> None:
    for _ in range(5):
        client.post("/admin/login/", {"username": "edith", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "edith", "password": RIGHT})
    assert response.status_code == 429


def test_force_login_still_works_for_tests_and_is_not_counted(
    client: Client, resident: AbstractUser
) -> None:
    client.force_login(resident)
    assert client.get("/cases/").status_code == 200


# ---------------------------------------------------------------- open redirects


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "https:evil.example",
    ],
)
def test_login_never_redirects_off_site(
    client: Client, resident: AbstractUser, target: str
) -> None:
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": "rosa", "password": RIGHT, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_follows_a_next_on_this_site(client: Client, resident: AbstractUser) -> None:
    response = client.post(
        "/accounts/login/", {"username": "rosa", "password": RIGHT, "next": "/quizzes/"}
    )
    assert response["Location"] == "/quizzes/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_self_assessment_never_redirects_off_site(
    client: Client, resident: AbstractUser, target: str
) -> None:
    question = QuestionFactory(case=CaseFactory(), kind="free")
    response = ResponseFactory(
        attempt__user=resident, question=question, score=None, method="pending"
    )
    client.force_login(resident)
    answer = client.post(
        f"/responses/{response.pk}/self-assess/", {"verdict": "correct", "next": target}
    )
    assert answer.status_code == 302
    location = answer["Location"].replace("\\", "/")
    assert location.startswith("/") and not location.startswith("//"), location


def test_comment_hiding_never_redirects_off_site(client: Client, faculty: AbstractUser) -> None:
    from tests.factories import CommentFactory

    comment = CommentFactory(case=CaseFactory(owner=faculty))
    client.force_login(faculty)
    for target in ("https://evil.example/", "/\\evil.example"):
        answer = client.post(f"/comments/{comment.pk}/visibility/", {"hidden": "1", "next": target})
        assert answer.status_code == 302
        location = answer["Location"].replace("\\", "/")
        assert location.startswith("/") and not location.startswith("//"), location


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("48213977120", "entirely numeric"),
        ("rosa-rosa-rosa", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    resident: AbstractUser, password: str, reason: str
) -> None:
    resident.username = "rosa-rosa-rosa" if reason == "too similar" else resident.username
    with pytest.raises(ValidationError) as error:
        validate_password(password, user=resident)
    assert reason in " ".join(error.value.messages)


def test_the_password_change_form_applies_the_rules(resident: AbstractUser) -> None:
    form = PasswordChangeForm(
        resident,
        {"old_password": RIGHT, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert not form.is_valid()
    assert "new_password2" in form.errors
    good = PasswordChangeForm(
        resident,
        {
            "old_password": RIGHT,
            "new_password1": "correct horse battery staple",
            "new_password2": "correct horse battery staple",
        },
    )
    assert good.is_valid(), good.errors


def test_changing_the_password_needs_the_old_one_and_keeps_the_session(
    client: Client, resident: AbstractUser
) -> None:
    client.force_login(resident)
    bad = client.post(
        "/accounts/password_change/",
        {"old_password": "guess", "new_password1": "x" * 12, "new_password2": "x" * 12},
    )
    assert bad.status_code == 200
    resident.refresh_from_db()
    assert resident.check_password(RIGHT)


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(
    client: Client, resident: AbstractUser
) -> None:
    response = _login(client, RIGHT)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
