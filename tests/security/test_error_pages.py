"""Friendly 403/404/500 pages that leak nothing: no path, no message, no traceback."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tests.security.error_urls import SECRET

LEAKS = (SECRET, "Traceback", "RuntimeError", "SECRET_KEY", "settings.py", "urlpatterns")


def _assert_leaks_nothing(html: str) -> None:
    for leak in LEAKS:
        assert leak not in html, leak


def test_a_404_does_not_echo_the_address_or_explain_the_urlconf(
    client: Client, resident: AbstractUser, settings: pytest.FixtureRequest
) -> None:
    assert settings.DEBUG is False
    client.force_login(resident)
    response = client.get(f"/cases/{SECRET}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    _assert_leaks_nothing(html)
    # The friendly page is a full page of the site, with a way back.
    assert 'href="/"' in html


def test_an_unknown_path_gets_the_same_friendly_404(client: Client) -> None:
    response = client.get(f"/no-such-page/{SECRET}")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    _assert_leaks_nothing(response.content.decode())


@pytest.mark.urls("tests.security.error_urls")
def test_a_403_hides_the_reason_written_for_the_log(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    response = client.get("/forbid/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not allowed" in html
    _assert_leaks_nothing(html)


@pytest.mark.urls("tests.security.error_urls")
def test_a_500_is_a_standalone_page_without_the_error(
    db: None, settings: pytest.FixtureRequest
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/explode/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    _assert_leaks_nothing(html)
    # Standalone: it must render even when base.html or the context processors are broken.
    template = settings.BASE_DIR / "templates" / "500.html"
    assert "{% extends" not in template.read_text()
