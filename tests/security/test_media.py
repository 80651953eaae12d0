"""Uploaded files are never served as HTML or script: images only, with nosniff."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
def media(settings: pytest.FixtureRequest) -> Path:
    root = Path(settings.MEDIA_ROOT)
    (root / "figures").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("figures/page.html", HTML),
        ("figures/page.htm", HTML),
        ("figures/drawing.svg", SVG),
        ("figures/script.js", b"alert(1)"),
        ("figures/source.dcm", b"DICM"),
        ("figures/page.HTML", HTML),
        ("figures/noext", HTML),
    ],
)
def test_a_file_that_is_not_a_display_image_is_a_404_even_if_it_exists(
    client: Client, resident: AbstractUser, media: Path, name: str, body: bytes
) -> None:
    (media / name).write_bytes(body)
    client.force_login(resident)
    response = client.get(f"/media/{name}")
    assert response.status_code == 404
    assert b"alert" not in response.content


def test_a_png_is_served_as_an_image_that_browsers_must_not_sniff(
    client: Client, resident: AbstractUser, media: Path
) -> None:
    # HTML hidden behind a .png name: served as image/png with nosniff, so never parsed.
    (media / "figures" / "trick.png").write_bytes(HTML)
    client.force_login(resident)
    response = client.get("/media/figures/trick.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["../settings.py", "figures/../../etc/passwd.png", "/etc/hostname.png"]
)
def test_paths_outside_the_media_folder_are_a_404(
    client: Client, resident: AbstractUser, media: Path, path: str
) -> None:
    client.force_login(resident)
    assert client.get(f"/media/{path}").status_code == 404


def test_the_media_view_serves_only_the_display_formats() -> None:
    from teachingfile.views import _MEDIA_TYPES

    # Display formats, plus the viewer source (.tfv, raw pixels the viewer reads with fetch).
    assert set(_MEDIA_TYPES.values()) == {
        "image/png",
        "image/jpeg",
        "image/webp",
        "application/octet-stream",
    }
    assert [ext for ext, kind in _MEDIA_TYPES.items() if not kind.startswith("image/")] == [".tfv"]
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


def test_media_are_cached_for_media_cache_seconds(
    client: Client, resident: AbstractUser, media: Path, settings: pytest.FixtureRequest
) -> None:
    settings.MEDIA_CACHE_SECONDS = 600  # type: ignore[attr-defined]  # pytest-django settings
    (media / "figures" / "a.png").write_bytes(b"\x89PNG")
    client.force_login(resident)
    response = client.get("/media/figures/a.png")
    assert response["Cache-Control"] == "public, max-age=600, immutable"
