"""The policy in a real browser: our scripts run under it, injected inline script does not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from tests.browser.scenes import answerable_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_htmx_the_viewer_and_the_theme_toggle_run_under_the_policy(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser
) -> None:
    # new_page fails the test on any CSP refusal reported while these pages ran.
    case = answerable_case()
    page = new_page(resident)
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    assert page.evaluate("typeof window.htmx") == "object"
    page.locator("[data-viewer]").first.wait_for(state="visible")
    before = page.evaluate("document.documentElement.dataset.theme")
    page.locator("[data-theme-toggle]").click()
    assert page.evaluate("document.documentElement.dataset.theme") != before


def test_an_injected_inline_handler_is_refused_and_reported(
    browser: Any, live_server: Any, db: None
) -> None:
    """The control for the check above: a refusal does show up on the console."""
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        ' \'<img src="/nothing.png" onerror="document.title=`pwned`">\')'
    )
    page.wait_for_timeout(300)
    assert page.title() != "pwned"
    assert any("Content Security Policy" in m for m in messages), messages
    context.close()
