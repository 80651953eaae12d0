"""Accessibility: axe-core on every main page, in both themes, with no serious or critical
violation; and a whole quiz done with the keyboard alone.

axe-core is vendored in tests/browser/vendor (MPL-2.0, licence alongside) and evaluated
into the page through the DevTools protocol, which the page's CSP does not govern.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz import services
from quiz.models import Cohort, ReviewCard
from tests.browser.conftest import THEMES, screenshot
from tests.browser.scenes import assigned_quiz

pytestmark = pytest.mark.django_db(transaction=True)

AXE = next((Path(__file__).parent / "vendor").glob("axe-core-*.min.js"))
BLOCKING = {"serious", "critical"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                resultTypes: ["violations"],
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "best-practice"]},
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in BLOCKING]


def _answer(client: Client, case: Any, *, right: bool) -> None:
    first, second = case.questions.order_by("order")
    choice = first.choices.get(is_correct=right)
    client.post(
        f"/cases/{case.public_id}/answer/",
        {f"q{first.pk}": choice.pk, f"q{second.pk}": "calciphylaxis" if right else "gout"},
    )


@pytest.mark.parametrize("theme", THEMES)
def test_the_main_pages_have_no_serious_accessibility_violations(
    new_page: Callable[..., Any],
    live_server: Any,
    theme: str,
    resident: AbstractUser,
    director: AbstractUser,
    faculty: AbstractUser,
    cohort: Cohort,
) -> None:
    scene = assigned_quiz(cohort, size=2)
    unknown, revealed = scene.cases
    learner = Client()
    learner.force_login(resident)
    _answer(learner, revealed, right=False)  # a miss also fills the review queue
    ReviewCard.objects.filter(user=resident).update(due="2000-01-01T00:00:00Z")
    exam = assigned_quiz(cohort, size=1, mode="exam").quiz
    sitting = services.quiz_attempt_start(user=resident, quiz=exam)
    sitting_url = f"/quizzes/{exam.pk}/attempts/{sitting.pk}"

    pages_by_user: list[tuple[Any, list[str]]] = [
        (None, ["/accounts/login/"]),
        (
            resident,
            [
                "/",
                "/cases/",
                f"/cases/{unknown.public_id}/",
                f"/cases/{revealed.public_id}/",
                "/quizzes/",
                f"/quizzes/{scene.quiz.pk}/",
                "/review/",
                f"{sitting_url}/cases/1/",
                f"{sitting_url}/finish/",
                "/progress/",
                "/search/?q=calf",
                "/no-such-page/",
            ],
        ),
        (
            director,
            ["/reports/", f"/reports/residents/{resident.pk}/", "/reports/items/"],
        ),
        (faculty, ["/grading/", f"/cases/{unknown.public_id}/peer-review/"]),
    ]
    found: dict[str, list[dict[str, Any]]] = {}
    for user, paths in pages_by_user:
        page = new_page(user, theme=theme)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            violations = axe_violations(page)
            if violations:
                found[path] = violations
                screenshot(page, f"axe-{theme}-{path.strip('/').replace('/', '_') or 'home'}")
    assert found == {}, json.dumps(found, indent=1)


def test_a_whole_quiz_can_be_done_with_the_keyboard_alone(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = assigned_quiz(cohort, size=2)
    page = new_page(resident)
    page.goto(f"{live_server.url}/quizzes/")

    def tab_to(predicate: str, limit: int = 60) -> None:
        """Press Tab until the focused element matches the JS predicate (given `el`)."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            check = f"(() => {{ const el = document.activeElement; return {predicate}; }})()"
            if page.evaluate(check):
                return
        raise AssertionError(f"Tab never reached: {predicate}")

    tab_to(f"el.tagName === 'A' && el.getAttribute('href') === '/quizzes/{scene.quiz.pk}/'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/quizzes/{scene.quiz.pk}/")
    tab_to("el.tagName === 'BUTTON' && el.textContent.trim() === 'Start'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*/cases/1/")

    for position in (1, 2):
        # Into the question area (answer keys act only there), the first choice by its
        # number key, the free text typed, Enter submits.
        page.locator("[data-answer-form]").wait_for()
        tab_to("el.type === 'radio' && !!el.closest('[data-question-area]')")
        page.keyboard.press("1")
        tab_to("el.type === 'text' && el.name.startsWith('q')")
        page.keyboard.type("calciphylaxis")
        page.keyboard.press("Enter")
        page.get_by_text("Net-like calcification of small vessels.").first.wait_for()
        screenshot(page, f"keyboard-quiz-case-{position}")
        if position == 1:
            page.keyboard.press("n")
            page.wait_for_url("**/attempts/*/cases/2/")
    responses = scene.quiz.attempts.get().responses.all()
    assert responses.count() == 4
    assert sorted(r.score for r in responses) == [1.0, 1.0, 1.0, 1.0]
