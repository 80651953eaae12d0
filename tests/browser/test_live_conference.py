"""A live case conference in Chromium: one big screen, three phones, the director afterwards."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser

from live.models import LiveSession
from quiz.models import Cohort, Response, ReviewCard
from teachingfile import roles
from tests.browser.conftest import screenshot
from tests.browser.scenes import answerable_case
from tests.browser.test_accessibility import axe_violations
from tests.factories import MembershipFactory, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 800}


def test_a_conference_runs_from_the_big_screen_to_the_residents_records(
    new_page: Callable[..., Any],
    live_server: Any,
    faculty: AbstractUser,
    director: AbstractUser,
    resident: AbstractUser,
    cohort: Cohort,
) -> None:
    case = answerable_case("Woman of 45 with a painful calf")
    others = [make_user(name, roles.RESIDENT) for name in ("rita", "raj")]
    for other in others:
        MembershipFactory(cohort=cohort, resident=other)

    # The presenter starts a session from hand-picked cases, for the cohort's program.
    screen = new_page(faculty)
    screen.goto(f"{live_server.url}/live/")
    assert axe_violations(screen) == []
    screen.get_by_label("Or these cases, in this order").fill(case.public_id)
    screen.get_by_label("Program (its directors see the results)").select_option(
        label=cohort.program.name
    )
    screen.get_by_role("button", name="Start the session").click()
    screen.wait_for_url(re.compile(r"/live/[A-Z0-9]+/present/$"))
    session = LiveSession.objects.get()
    assert screen.locator("[data-live-code]").inner_text() == session.code
    assert screen.locator(".live-qr svg").count() == 1
    screenshot(screen, "live-lobby")
    assert axe_violations(screen) == []

    # Three residents join on their phones through the QR code's link.
    phones = []
    for person in (resident, *others):
        phone = new_page(person, viewport=PHONE)
        phone.goto(f"{live_server.url}/live/join/?code={session.code}")
        if not phones:
            assert axe_violations(phone) == []
        phone.get_by_role("button", name="Join").click()
        phone.wait_for_url(f"**/live/{session.code}/")
        phones.append(phone)
    screen.locator("[data-live-joined]", has_text="3").wait_for()

    # Space opens the question: the phones show it by themselves (polling).
    screen.locator("body").press("Space")
    screen.get_by_role("heading", name=re.compile("Which finding is abnormal")).wait_for()
    picks = ["Normal soft tissues", "Vascular calcification", "Vascular calcification"]
    for phone, pick in zip(phones, picks, strict=True):
        phone.get_by_text("Which finding is abnormal?").wait_for(timeout=3000)
        phone.get_by_label(re.compile(pick)).check()
        phone.get_by_role("button", name="Send my answer").click()
        phone.get_by_text("You can change it until the question closes").wait_for()
    screen.locator("[data-live-answers]", has_text="3").wait_for(timeout=3000)
    screenshot(phones[0], "live-phone-answered")
    assert axe_violations(phones[0]) == []
    # The first resident changes her mind once, then thinks better of it again.
    phones[0].get_by_label(re.compile("Vascular calcification")).check()
    phones[0].get_by_role("button", name="Change my answer").click()
    phones[0].get_by_text("Saved: A").wait_for()
    phones[0].get_by_label(re.compile("Normal soft tissues")).check()
    phones[0].get_by_role("button", name="Change my answer").click()
    phones[0].get_by_text("Saved: B").wait_for()

    # Close, spread, reveal: one key each, as with a clicker.
    screen.locator("body").press("Space")
    for phone in phones:
        phone.get_by_text("Answers are closed").wait_for(timeout=3000)
    screen.locator("body").press("PageDown")
    screen.get_by_role("heading", name=re.compile("How the room answered")).wait_for()
    for phone in phones:
        phone.get_by_role("heading", name=re.compile("How the room answered")).wait_for(
            timeout=3000
        )
        assert "Secret explanation" not in phone.content()
    screenshot(screen, "live-spread")
    # No serious accessibility problem on either screen (axe-core, as for the main pages).
    assert axe_violations(screen) == []
    assert axe_violations(phones[1]) == []
    screen.locator("body").press("Space")
    for phone, score in zip(phones, ("Score 0 / 1", "Score 1 / 1", "Score 1 / 1"), strict=True):
        phone.get_by_text(score).wait_for(timeout=3000)
        phone.get_by_text("Secret explanation.").wait_for()
    screenshot(phones[0], "live-phone-reveal")
    screenshot(screen, "live-reveal")

    # On to the free-text question, then the presenter ends the session.
    screen.locator("body").press("Space")
    phones[1].get_by_text("What is your diagnosis?").wait_for(timeout=3000)
    phones[1].get_by_label("Your answer").fill("calcifylaxis")
    phones[1].get_by_role("button", name="Send my answer").click()
    phones[1].get_by_text("Saved: calcifylaxis").wait_for()
    screen.get_by_role("button", name="End the session").click()
    screen.get_by_role("heading", name="Session ended").wait_for()
    for phone in phones:
        phone.get_by_role("heading", name="The session has ended").wait_for(timeout=3000)

    stored = Response.objects.filter(attempt__kind="conference")
    assert stored.count() == 4
    assert stored.get(user=resident).score == 0.0
    assert stored.get(user=others[0], question__order=1).score == 1.0
    assert stored.get(user=others[0], question__order=2).score == 1.0  # typo tolerated

    # The director sees attendance and scores, and the answers in the resident's report.
    desk = new_page(director)
    desk.goto(f"{live_server.url}/reports/")
    desk.get_by_role("link", name="Live conferences").click()
    desk.get_by_role("link", name=session.title).click()
    table = desk.get_by_role("table").first
    for person in (resident, *others):
        table.get_by_role("rowheader", name=person.username).wait_for()
    assert "3 participants" in desk.content()
    screenshot(desk, "live-results")
    assert axe_violations(desk) == []
    desk.goto(f"{live_server.url}/reports/residents/{resident.pk}/")
    assert case.public_id in desk.content()

    # The missed question comes back in the resident's review queue when it is due.
    card = ReviewCard.objects.get(user=resident)
    with time_machine.travel(card.due + timedelta(minutes=1), tick=True):
        phones[0].goto(f"{live_server.url}/review/")
        phones[0].get_by_text("Which finding is abnormal?").wait_for()
    assert ReviewCard.objects.filter(user__in=others).count() == 0
