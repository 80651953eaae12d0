"""Shared set-up for the browser tests: Debian Chromium driven by Playwright.

The browser is the system's (`apt-get install chromium`, see `make browser-deps`); nothing is
downloaded. Without it, or without the playwright package, every browser test is skipped
with the reason. Screenshots go to test-artifacts/ (kept by CI, ignored by git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# next to one unless told that the test process knows what it is doing. The flag is set
# only while a browser runs (see `browser`): set for the whole session, it would leak into
# subprocesses such as `check --deploy`, which rightly fails on it (async.E001).
_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
THEMES = ("dark", "light")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session", autouse=True)
def _fresh_failure_artifacts() -> None:
    """Screenshots of failures and axe findings describe this run only, not an earlier one."""
    for stale in (*ARTIFACTS.glob("failed-*.png"), *ARTIFACTS.glob("axe-*.png")):
        stale.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (a second start costs about a second).

    Module scope, not session: the event loop must be gone before the next module, whose
    tests use the ORM in this thread without the async-unsafe permission.
    """
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (make browser-deps installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    previous = os.environ.get(_ASYNC_UNSAFE)
    os.environ[_ASYNC_UNSAFE] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop(_ASYNC_UNSAFE, None)
        else:
            os.environ[_ASYNC_UNSAFE] = previous


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def new_page(
    browser: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context: `new_page(user, js=True, theme=None, bypass_csp=False)`.

    With a user, the context carries that user's session cookie (a login without the form);
    with a theme, the saved theme choice is in place before the first paint.
    """
    contexts: list[Any] = []
    csp_reports: list[str] = []

    def open_page(
        user: Any = None,
        *,
        js: bool = True,
        theme: str | None = None,
        bypass_csp: bool = False,
        viewport: dict[str, int] | None = None,
    ) -> Any:
        context = browser.new_context(
            java_script_enabled=js,
            bypass_csp=bypass_csp,
            viewport=viewport or {"width": 1280, "height": 900},
            accept_downloads=True,
        )
        contexts.append(context)
        if user is not None:
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session_cookie(user),
                        "url": live_server.url,
                    }
                ]
            )
        if theme is not None:
            context.add_init_script(f"window.localStorage.setItem('tf-theme', '{theme}');")
        page = context.new_page()
        # Generous: CI shares two cores with the PostgreSQL run's neighbours, and a software
        # WebGL/CPU render of a 512x512 CT takes seconds there. A passing step never waits.
        page.set_default_timeout(30_000)
        # Chromium reports every CSP refusal on the console: collect them, so that each
        # browser test also proves htmx, the viewer and the theme script run under the policy.
        page.on(
            "console",
            lambda message: (
                csp_reports.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    failed = request.node.stash.get(_FAILED, False)
    for number, context in enumerate(contexts):
        if failed:
            # What each page showed when the test failed: the first thing to look at in CI.
            for tab, shown in enumerate(context.pages):
                screenshot(shown, f"failed-{request.node.name}-{number}-{tab}"[:120])
        context.close()
    assert csp_reports == [], "the page broke its own Content-Security-Policy"


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page with JavaScript, nobody logged in."""
    return new_page()


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Log in through the real form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
