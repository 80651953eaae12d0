"""EMAIL_URL: one variable for how mail leaves, refused loudly when it makes no sense."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from teachingfile.env import email_config


def test_console_for_the_demo() -> None:
    assert email_config("console:") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_smtp_with_starttls_and_an_encoded_password() -> None:
    config = email_config("smtp+tls://mailer%40hospital.org:p%2Fss@mail.hospital.org")
    assert config["EMAIL_HOST"] == "mail.hospital.org"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "mailer@hospital.org"
    assert config["EMAIL_HOST_PASSWORD"] == "p/ss"
    assert config["EMAIL_USE_TLS"] is True and config["EMAIL_USE_SSL"] is False


def test_smtps_and_an_explicit_port() -> None:
    config = email_config("smtps://mail.hospital.org:2465")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"]) == (2465, True)


@pytest.mark.parametrize(
    "url", ["mail.hospital.org", "http://mail.hospital.org", "smtp://", "smtp://h:x"]
)
def test_a_bad_url_is_refused_with_the_variable_named(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_config(url)
