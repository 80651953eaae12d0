"""Production settings: HTTPS only, HSTS, secure cookies, no framing.

Settings are read once per process, so each case imports them in a fresh interpreter
with the production environment, as tests/teachingfile/test_env.py does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PRINT = """
import json
from django.conf import settings
import django
django.setup()
names = [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_PROXY_SSL_HEADER", "CONTENT_SECURITY_POLICY",
    "AUTH_PASSWORD_VALIDATORS",
]
print(json.dumps({n: getattr(settings, n, None) for n in names}))
"""


def _production(**extra: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "prod-test-" + "k" * 60,
            "ALLOWED_HOSTS": "teachingfile.example.org",
            "DJANGO_SETTINGS_MODULE": "teachingfile.settings",
            **extra,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", _PRINT], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production() -> dict[str, object]:
    return _production()


def test_production_sends_everyone_to_https_and_remembers_it(production: dict) -> None:
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # A year of HSTS, subdomains included: what browsers' preload lists ask for.
    assert production["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_production_cookies_travel_only_over_https(production: dict) -> None:
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_to_be_framed(production: dict) -> None:
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert "frame-ancestors 'none'" in production["CONTENT_SECURITY_POLICY"]
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True


def test_production_keeps_the_password_rules(production: dict) -> None:
    names = {v["NAME"].rsplit(".", 1)[-1] for v in production["AUTH_PASSWORD_VALIDATORS"]}
    assert names >= {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


def test_a_local_run_does_not_force_https() -> None:
    """The control: DEBUG=1 (make run over plain http) must not set secure-only cookies."""
    local = _production(DEBUG="1")
    assert local["SESSION_COOKIE_SECURE"] is False
    assert local["SECURE_SSL_REDIRECT"] is False


_REQUESTS = """
import json
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/healthz")
secure = client.get("/healthz", secure=True)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "hsts": secure.headers.get("Strict-Transport-Security", ""),
    "frame": secure.headers.get("X-Frame-Options", ""),
    "csp": secure.headers.get("Content-Security-Policy", ""),
    "secure_status": secure.status_code,
}))
"""


def test_a_production_server_redirects_to_https_and_sends_hsts(tmp_path: object) -> None:
    """The settings above, seen on real responses from a production-configured process."""
    # Its own SQLite file under VAR_DIR: the suite's DATABASE_URL (the PostgreSQL run)
    # names a database this process has no reason to reach.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "prod-test-" + "k" * 60,
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "teachingfile.settings",
            "VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", _REQUESTS], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://testserver/healthz"
    assert seen["secure_status"] == 200
    assert "max-age=31536000" in seen["hsts"]
    assert "includeSubDomains" in seen["hsts"]
    assert seen["frame"] == "DENY"
    assert "frame-ancestors 'none'" in seen["csp"]
