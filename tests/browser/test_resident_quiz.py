"""The demo resident takes the demo practice quiz end to end in Chromium, from the keyboard
where the quiz offers keys: a number picks, Enter submits, the focus lands on the
feedback, N goes to the next case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from quiz.demo import seed_demo
from quiz.models import Attempt, Quiz, Response
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_IN_FEEDBACK = "() => !!document.activeElement.closest('#case-work .feedback')"


def _answer_case(page: Any) -> int:
    """Answer every question of the case shown; return how many choices the keys made."""
    keyboard = 0
    for _ in range(5):  # a progressive case asks its questions one at a time
        form = page.locator("form[data-answer-form]")
        if form.count() == 0:
            return keyboard
        fields = form.locator("fieldset").all()
        # Region questions first (issue 16): Enter on their image places a marker, so the
        # Enter that submits must come from a choice or a text field.
        fields.sort(key=lambda field: field.get_attribute("data-kind") != "region")
        for field in fields:
            if field.get_attribute("data-kind") == "region":
                # Issue 16: Enter on the image places a marker at the crosshair.
                field.locator("[data-region-stage]").focus()
                page.keyboard.press("Enter")
                continue
            text = field.locator("input[type=text]")
            if text.count():
                text.fill("calcification")
                continue
            # The number key picks within the question that holds the focus.
            field.locator("input").first.focus()
            page.keyboard.press("1")
            assert field.locator("input").first.is_checked()
            keyboard += 1
        # Enter submits from a choice (quiz.js) as well as from a text field (the browser).
        page.keyboard.press("Enter")
        page.wait_for_function(FOCUS_IN_FEEDBACK)
    raise AssertionError("the case kept asking questions")


def test_the_demo_resident_takes_the_demo_practice_quiz_with_the_keyboard(
    new_page: Callable[..., Any], live_server: Any
) -> None:
    seed_demo()
    quiz = Quiz.objects.get(mode=Quiz.Mode.PRACTICE, title__startswith="Mixed unknowns")
    count = quiz.items.count()
    page = new_page()
    log_in(page, live_server.url, "resident", "demo")

    page.goto(f"{live_server.url}/quizzes/")
    page.get_by_role("link", name=quiz.title).first.click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/cases/1/")
    screenshot(page, "resident-quiz-case-1-unknown")

    keyboard = 0
    for position in range(1, count + 1):
        assert page.locator(".known-title").count() == 0  # nothing revealed yet
        keyboard += _answer_case(page)
        page.locator(".known-title").wait_for()
        assert page.evaluate(FOCUS_IN_FEEDBACK)
        if position == 1:
            screenshot(page, "resident-quiz-case-1-revealed")
        if position < count:
            page.keyboard.press("n")
            page.wait_for_url(f"**/cases/{position + 1}/")
    assert keyboard >= 1

    page.get_by_role("button", name="Finish quiz").click()
    page.wait_for_url("**/attempts/*/")
    page.get_by_role("heading", name=f"Results: {quiz.title}").wait_for()
    screenshot(page, "resident-quiz-results")

    attempt = Attempt.objects.get(quiz=quiz, user__username="resident")
    assert attempt.finished_at is not None and attempt.score is not None
    questions = sum(item.case.questions.count() for item in quiz.items.all())
    assert Response.objects.filter(attempt=attempt).count() == questions
