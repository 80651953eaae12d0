"""Spoiler guardrails in Chromium: the authoring page warns, and submits only when checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from teachingfile.models import Case
from tests.browser.conftest import screenshot
from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_author_sees_the_spoiler_and_must_confirm_it_to_submit(
    new_page: Callable[..., Any], live_server: Any, faculty: AbstractUser
) -> None:
    case = CaseFactory(
        status=Case.Status.DRAFT,
        owner=faculty,
        unknown_title="Tophaceous gout of the elbow",
        presentation="Painless swelling of the elbow.",
        known_title="Tophaceous gout",
        diagnosis="Tophaceous gout",
    )
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    page = new_page(faculty)
    page.goto(f"{live_server.url}/admin/teachingfile/case/{case.pk}/change/")
    alert = page.locator("#authoring [role=alert]")
    assert "Unknown title" in alert.inner_text()
    assert page.locator("#authoring mark", has_text="Tophaceous").count() == 1
    screenshot(page, "authoring-spoiler-warning")

    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("may give its diagnosis away").wait_for()
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT

    page.goto(f"{live_server.url}/admin/teachingfile/case/{case.pk}/change/")
    page.get_by_label("I checked these spoiler warnings").check()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**/admin/teachingfile/case/{case.pk}/change/")
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW
    assert "Spoiler warnings checked" in page.locator("#authoring").inner_text()
