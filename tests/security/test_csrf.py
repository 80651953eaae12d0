"""CSRF: every URL the site answers refuses a POST that carries no token.

The sweep walks the URL resolver, so a view added later is covered without anyone
remembering to list it here.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory
from tests.security.urlwalk import SiteUrl, site_urls

CSRF_PAGE_MARKER = "could not be sent safely"


def _sweep() -> list[SiteUrl]:
    import django

    django.setup()
    return site_urls()


@pytest.fixture
def strict_client(editor: AbstractUser) -> Client:
    # An editor is staff and in every faculty group: the most privileged persona, so a
    # missing CSRF check cannot hide behind a permission refusal.
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    return client


@pytest.mark.parametrize("url", _sweep(), ids=lambda u: u.route)
def test_every_url_refuses_a_post_without_a_csrf_token(strict_client: Client, url: SiteUrl) -> None:
    data = {"body": "hello", "verdict": "correct"}
    plain = strict_client.post(url.path, data)
    assert plain.status_code == 403, f"{url.path} answered {plain.status_code}"
    assert CSRF_PAGE_MARKER in plain.content.decode()
    # The same refusal for the htmx flavour of the request.
    htmx = strict_client.post(url.path, data, headers={"HX-Request": "true"})
    assert htmx.status_code == 403, f"{url.path} (htmx) answered {htmx.status_code}"


def test_no_view_is_exempt_from_csrf() -> None:
    exempt = [u.route for u in _sweep() if getattr(u.view, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.django_db
def test_a_post_with_the_token_from_the_cookie_gets_through(resident: AbstractUser) -> None:
    """The control: the refusals above are about the token, not about POST as such."""
    case = CaseFactory()
    question = QuestionFactory(case=case)
    choice = ChoiceFactory(question=question, is_correct=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    client.get(case.get_absolute_url())
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/cases/{case.public_id}/answer/",
        {f"q{question.pk}": choice.pk},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 200
    without = client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": choice.pk})
    assert without.status_code == 403


def test_the_login_form_needs_its_token(resident: AbstractUser) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert response.status_code == 403
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "rosa", "password": "pass-word-123", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
