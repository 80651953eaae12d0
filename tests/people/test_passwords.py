"""Password pages in the site's own look: forgot, reset by e-mail, change; rate-limited."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser
from django.core import mail
from django.test import Client

NEW = "a-Brand-new-pass-phrase"


def test_the_login_page_offers_forgot_password(client: Client, db: None) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in html
    assert "Forgot password?" in html


def test_the_password_pages_are_the_sites_not_the_admins(
    client: Client, resident: AbstractUser
) -> None:
    for url in (
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
    ):
        html = client.get(url).content.decode()
        assert "Django site administration" not in html
        assert 'class="site-header"' in html
    client.force_login(resident)
    for url in ("/accounts/password_change/", "/accounts/password_change/done/"):
        html = client.get(url).content.decode()
        assert "Django site administration" not in html
        assert 'class="site-header"' in html


def test_a_password_is_reset_by_email(client: Client, resident: AbstractUser) -> None:
    response = client.post("/accounts/password_reset/", {"email": resident.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [resident.email]
    assert "teaching file" in message.subject
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)  # type: ignore[union-attr]
    form = client.get(link, follow=True)
    assert "Set a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password(NEW)
    # The link is spent.
    again = client.get(link, follow=True)
    assert "has been used already or has expired" in again.content.decode()


def test_an_unknown_address_reveals_nothing(client: Client, db: None) -> None:
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert not mail.outbox


def test_reset_requests_are_rate_limited_like_login(
    client: Client, resident: AbstractUser, settings: object
) -> None:
    limit = settings.AXES_FAILURE_LIMIT  # type: ignore[attr-defined]
    for _ in range(limit):
        assert (
            client.post("/accounts/password_reset/", {"email": resident.email}).status_code == 302
        )
    refused = client.post("/accounts/password_reset/", {"email": resident.email})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert len(mail.outbox) == limit


def test_password_change_is_rate_limited(
    client: Client, resident: AbstractUser, settings: object
) -> None:
    client.force_login(resident)
    data = {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    for _ in range(settings.AXES_FAILURE_LIMIT):  # type: ignore[attr-defined]
        assert client.post("/accounts/password_change/", data).status_code == 200
    assert client.post("/accounts/password_change/", data).status_code == 429


def test_the_password_is_changed_in_the_sites_form(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pass-word-123", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password(NEW)


def test_one_address_at_the_limit_leaves_other_accounts_alone(
    client: Client, resident: AbstractUser, other_resident: AbstractUser, settings: object
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):  # type: ignore[attr-defined]
        client.post("/accounts/password_reset/", {"email": resident.email})
    other = client.post("/accounts/password_reset/", {"email": other_resident.email})
    assert other.status_code == 302
