"""Single sign-on against a real OpenID Connect provider started in its own process.

The provider is django-oidc-provider in a small Django project (tests/people/oidc_provider)
on a free loopback port. The browser's part is played by two clients: Django's test client
for the teaching file, `requests` for the provider. Everything between the teaching file
and the provider (discovery, token exchange, JWKS, userinfo) goes over real HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from people.models import AuditAction, AuditEvent
from teachingfile import roles
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "teaching-file"
CLIENT_SECRET = "client-secret-for-tests"
PEOPLE = [
    {
        "username": "fkhan",
        "email": "f.khan@hospital.example",
        "password": "provider-pass-1",
        "first_name": "Farah",
        "last_name": "Khan",
        "groups": ["radiology-faculty", "all-staff"],
    },
    {
        "username": "rlee",
        "email": "r.lee@hospital.example",
        "password": "provider-pass-2",
        "groups": ["all-staff"],
    },
    {
        "username": "rosa.r",
        "email": "rosa@example.org",
        "password": "provider-pass-3",
        "groups": ["radiology-residents"],
    },
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.people.oidc_provider.settings",
        "PROVIDER_DB": str(tmp_path_factory.mktemp("provider") / "provider.sqlite3"),
        "PROVIDER_SITE_URL": site,
        "PYTHONPATH": str(ROOT),
    }
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "http://testserver/oidc/callback/",
        "people": PEOPLE,
    }
    setup = ROOT / "tests/people/oidc_provider/setup_provider.py"
    subprocess.run(
        [sys.executable, str(setup), json.dumps(config)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"{site}/openid"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the OpenID provider did not start")
            time.sleep(0.3)
        yield issuer
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def sso(settings: Any, provider: str) -> str:
    settings.OIDC_ISSUER = provider
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {
        "radiology-faculty": roles.FACULTY,
        "radiology-residents": roles.RESIDENT,
    }
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "people.oidc.RoleMappingBackend",
    ]
    return provider


def _sign_in(app: Client, username: str, password: str) -> Any:
    """Click the SSO button, sign in at the provider, follow it back: the app's last answer."""
    start = app.get("/oidc/authenticate/")
    assert start.status_code == 302
    browser = requests.Session()
    url = start["Location"]
    assert url.startswith("http://127.0.0.1:")
    for _ in range(10):
        if url.startswith("http://testserver/"):
            back = urlsplit(url)
            return app.get(back.path, {k: v for k, v in _query(back.query)})
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="password"' in response.text:
            response = browser.post(
                response.url,
                {
                    "username": username,
                    "password": password,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                    "next": _query_value(response.url, "next"),
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302, response.text[:500]
        url = requests.compat.urljoin(response.url, response.headers["Location"])
    raise AssertionError("no way back from the provider")


def _query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query)


def _query_value(url: str, name: str) -> str:
    return dict(_query(urlsplit(url).query)).get(name, "")


@pytest.mark.django_db(transaction=True)
def test_a_person_in_the_mapped_group_lands_as_faculty(sso: str) -> None:
    app = Client()
    final = _sign_in(app, "fkhan", "provider-pass-1")
    assert final.status_code == 302
    assert final["Location"] == "/"
    user = get_user_model().objects.get(email="f.khan@hospital.example")
    assert app.session["_auth_user_id"] == str(user.pk)
    assert roles.group_names(user) == {roles.FACULTY}
    assert user.is_staff
    assert (user.username, user.first_name, user.last_name) == ("fkhan", "Farah", "Khan")
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGE, subject=user)
    assert event.detail["source"] == "single sign-on"
    # The faculty pages open: the role is real, not only a label.
    assert app.get("/peer-review/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_person_in_no_mapped_group_gets_no_role(sso: str) -> None:
    app = Client()
    assert _sign_in(app, "rlee", "provider-pass-2")["Location"] == "/"
    user = get_user_model().objects.get(email="r.lee@hospital.example")
    assert roles.group_names(user) == frozenset()


@pytest.mark.django_db(transaction=True)
def test_an_existing_account_is_found_by_email(sso: str) -> None:
    rosa = make_user("rosa", roles.RESIDENT)
    app = Client()
    _sign_in(app, "rosa.r", "provider-pass-3")
    assert app.session["_auth_user_id"] == str(rosa.pk)
    assert get_user_model().objects.filter(email__iexact="rosa@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_invited_person_signing_in_accepts_the_invitation(sso: str, cohort: Any) -> None:
    from django.utils import timezone

    from people import services

    director = cohort.program.directors.get()
    invited = services.person_invite(
        email="r.lee@hospital.example",
        first_name="R",
        last_name="Lee",
        role=roles.RESIDENT,
        cohort=cohort,
        by=director,
        now=timezone.now(),
    )
    app = Client()
    assert _sign_in(app, "rlee", "provider-pass-2")["Location"] == "/"
    invited.user.refresh_from_db()
    assert invited.user.is_active
    assert app.session["_auth_user_id"] == str(invited.user.pk)
    assert invited.user.memberships.get().cohort == cohort
    assert not invited.user.invitations.usable(timezone.now()).exists()


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_account_is_refused(sso: str) -> None:
    make_user("rosa", roles.RESIDENT, is_active=False)
    app = Client()
    final = _sign_in(app, "rosa.r", "provider-pass-3")
    assert final["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in app.session


@pytest.mark.django_db(transaction=True)
def test_local_accounts_keep_working_beside_sso(sso: str) -> None:
    make_user("rosa", roles.RESIDENT)
    app = Client()
    login = app.post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert login.status_code == 302
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/oidc/authenticate/"' in page


@pytest.mark.django_db
def test_a_provider_that_is_down_breaks_neither_local_login_nor_the_button(settings: Any) -> None:
    settings.OIDC_ISSUER = f"http://127.0.0.1:{_free_port()}/nobody-listens"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "people.oidc.RoleMappingBackend",
    ]
    make_user("rosa", roles.RESIDENT)
    app = Client()
    login = app.post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert login.status_code == 302
    button = Client().get("/oidc/authenticate/")
    assert button.status_code == 302
    assert button["Location"] == "/accounts/login/?sso=failed"
