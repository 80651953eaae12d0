"""Headers on every page: a same-origin-only CSP, no framing, no sniffing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tests.security.hostile import hostile_markup
from tests.security.urlwalk import SiteUrl, site_urls

# The only sources a directive may name. 'self' is the site itself; data:/blob: only for
# images (the viewer draws window/level into a canvas and hands back blob URLs).
_ALLOWED_SOURCES = {"'self'", "'none'"}
_IMAGE_EXTRA = {"data:", "blob:"}


def _policy(header: str) -> dict[str, set[str]]:
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = set(words[1:])
    return directives


def _assert_same_origin_only(header: str, *, admin: bool) -> None:
    policy = _policy(header)
    for required in ("default-src", "script-src", "style-src", "object-src", "base-uri"):
        assert required in policy, required
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["form-action"] == {"'self'"}
    for directive, sources in policy.items():
        allowed = set(_ALLOWED_SOURCES)
        if directive == "img-src":
            allowed |= _IMAGE_EXTRA
        if directive == "style-src" and admin:
            # Django's admin templates carry style attributes; its pages only.
            allowed.add("'unsafe-inline'")
        assert sources <= allowed, f"{directive} allows {sources - allowed}"


def _urls() -> list[SiteUrl]:
    import django

    django.setup()
    return site_urls()


@pytest.fixture
def editor_client(client: Client, editor: AbstractUser) -> Client:
    client.force_login(editor)
    return client


@pytest.mark.parametrize("url", _urls(), ids=lambda u: u.route)
def test_every_page_sends_a_same_origin_policy_and_refuses_framing(
    editor_client: Client, url: SiteUrl
) -> None:
    response = editor_client.get(url.path)
    assert response.status_code < 500, f"{url.path} answered {response.status_code}"
    _assert_same_origin_only(
        response.headers["Content-Security-Policy"], admin=url.path.startswith("/admin/")
    )
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_anonymous_pages_and_errors_carry_the_policy_too(client: Client, db: None) -> None:
    for path in ("/accounts/login/", "/no-such-page/", "/healthz"):
        response = client.get(path)
        _assert_same_origin_only(response.headers["Content-Security-Policy"], admin=False)


def test_only_admin_pages_get_inline_styles(editor_client: Client) -> None:
    admin = editor_client.get("/admin/").headers["Content-Security-Policy"]
    site = editor_client.get("/cases/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in _policy(admin)["style-src"]
    assert "'unsafe-inline'" not in site


def _site_templates() -> list[Path]:
    root = Path(settings.BASE_DIR) / "templates"
    return sorted(root.rglob("*.html"))


@pytest.mark.parametrize("template", _site_templates(), ids=lambda p: p.name)
def test_templates_need_nothing_the_policy_blocks(template: Path) -> None:
    """No inline script, no on* handler, no style attribute: the CSP would block them."""
    source = template.read_text()
    assert hostile_markup(source) == []
    assert "<style" not in source
