"""The exam in Chromium: autosave survives reload, navigation, going offline and the
deadline; Next/Previous and N/P move; keys belong to what has the focus; the timer stays
in view; hand-in asks first; a long comment never widens the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from quiz import services
from quiz.models import Attempt, Cohort, Response
from teachingfile.models import Question
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.scenes import answerable_case, assigned_quiz
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAVED = "#save-status.save-ok"


def _shot(page: Any, name: str) -> None:
    """What the viewport shows (the sticky bar included), for docs/screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _exam(cohort: Cohort, *, size: int = 3, limit: timedelta = timedelta(minutes=20)) -> Any:
    scene = assigned_quiz(cohort, size=size, mode="exam")
    scene.quiz.time_limit = limit
    scene.quiz.title = "Calcification exam"
    scene.quiz.save()
    return scene


def _start(page: Any, base: str, quiz: Any) -> None:
    page.goto(f"{base}/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/cases/1/")


def _picked(attempt: Attempt, case_index: int, scene: Any) -> list[str]:
    question = scene.cases[case_index].questions.get(order=1)
    response = Response.objects.filter(attempt=attempt, question=question).first()
    return [] if response is None else [c.text for c in response.choices.all()]


def test_an_exam_keeps_every_word_and_moves_by_buttons_and_keys(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = _exam(cohort)
    page = new_page(resident)
    _start(page, live_server.url, scene.quiz)
    attempt = Attempt.objects.get(quiz=scene.quiz)

    # Typing is saved without pressing anything, and survives a reload.
    page.get_by_label("Your answer to question 2").fill("calciphylaxis")
    page.locator(SAVED).wait_for()
    assert page.locator("#save-status").inner_text().startswith("Saved ")
    page.reload()
    assert page.get_by_label("Your answer to question 2").input_value() == "calciphylaxis"

    # Answer keys act in the question area...
    page.get_by_label("Vascular calcification").focus()
    page.keyboard.press("2")
    assert page.get_by_label("Normal soft tissues").is_checked()
    page.locator(SAVED).wait_for()
    assert _picked(attempt, 0, scene) == ["Normal soft tissues"]
    # ...and never in the viewer, focused from the keyboard or by a click on the image.
    page.locator("[data-viewer]").first.focus()
    for key in ("1", "a", "A", "Enter"):
        page.keyboard.press(key)
    page.locator("[data-viewer] .viewer__viewport").first.click()
    page.keyboard.press("1")
    page.wait_for_timeout(1200)  # longer than the autosave's pause
    assert page.get_by_label("Normal soft tissues").is_checked()
    assert not page.get_by_label("Vascular calcification").is_checked()
    assert _picked(attempt, 0, scene) == ["Normal soft tissues"]
    assert page.url.endswith("/cases/1/")

    # N and P move when the focus is not in a text field or the viewer.
    page.locator("h1").click()
    page.keyboard.press("n")
    page.wait_for_url("**/cases/2/")
    page.locator("h1").click()
    page.keyboard.press("p")
    page.wait_for_url("**/cases/1/")
    # A key typed in a text field is text, not navigation.
    page.get_by_label("Your answer to question 2").press("n")
    assert page.url.endswith("/cases/1/")
    # Leaving by a navigator link right after typing: the page sends what is unsaved.
    page.get_by_label("Your answer to question 2").fill("calcifylaxis")
    page.locator("#attempt-steps a").nth(2).click()
    page.wait_for_url("**/cases/3/")
    page.go_back()
    page.wait_for_url("**/cases/1/")
    page.reload()
    assert page.get_by_label("Your answer to question 2").input_value() == "calcifylaxis"
    page.get_by_role("button", name="Next case").click()
    page.wait_for_url("**/cases/2/")

    # Flag for review: the navigator follows.
    page.get_by_label("Flag this case for review").check()
    page.locator("#attempt-steps .step-flagged").wait_for()
    assert page.locator("#attempt-steps .step-partly, #attempt-steps .step-answered").count() == 1

    # The timer stays in view at the bottom of the page.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator(".timer").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
    _shot(page, "exam-desktop")

    # Offline: the save waits and retries, then lands.
    page.context.set_offline(True)
    page.get_by_label("Your answer to question 2").fill("gout")
    page.locator("#save-status.save-failed").wait_for()
    assert "Retrying" in page.locator("#save-status").inner_text()
    page.context.set_offline(False)
    page.locator(SAVED).wait_for(timeout=40_000)
    question = scene.cases[1].questions.get(order=2)
    assert Response.objects.get(attempt=attempt, question=question).answer_text == "gout"

    # Hand in: a confirmation page first, then results.
    page.get_by_role("link", name="Hand in the exam…").click()
    page.wait_for_url("**/finish/")
    assert page.get_by_role("heading", name="Not answered (2)").is_visible()
    assert page.get_by_role("heading", name="Flagged for review (1)").is_visible()
    screenshot(page, "exam-hand-in-confirmation")
    attempt.refresh_from_db()
    assert attempt.finished_at is None
    page.get_by_role("button", name="Hand in now").click()
    page.get_by_role("heading", name="Results: Calcification exam").wait_for()
    attempt.refresh_from_db()
    assert attempt.finished_at is not None

    # The reveal: score on top, Next case near the top, viewer sticky beside the text.
    page.goto(f"{live_server.url}/quizzes/{scene.quiz.pk}/attempts/{attempt.pk}/cases/1/")
    summary = page.locator("[data-score-summary]")
    assert summary.inner_text().startswith("1 of 2")
    assert summary.bounding_box()["y"] < page.locator("#reveal").bounding_box()["y"]
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    images = page.locator(".case-images").bounding_box()
    assert images is not None and images["y"] < page.viewport_size["height"]
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "exam-reveal")


def test_the_exam_on_a_phone_keeps_the_timer_in_view_and_the_page_narrow(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = _exam(cohort)
    page = new_page(resident, viewport={"width": 390, "height": 844})
    _start(page, live_server.url, scene.quiz)
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = page.locator(".timer").bounding_box()
    assert box is not None and 0 <= box["y"] < 844
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "exam-phone")


def test_the_deadline_closes_the_exam_with_what_was_typed_before_it(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = _exam(cohort, size=1, limit=timedelta(seconds=8))
    page = new_page(resident)
    _start(page, live_server.url, scene.quiz)
    page.get_by_label("Your answer to question 2").fill("calciphylaxis")
    # Nothing pressed: the timer runs out, the page goes to the results.
    page.wait_for_url("**/attempts/*/", timeout=20_000)
    attempt = Attempt.objects.get(quiz=scene.quiz)
    assert attempt.finished_at == attempt.deadline
    question = scene.cases[0].questions.get(kind=Question.Kind.FREE_TEXT)
    response = Response.objects.get(attempt=attempt, question=question)
    assert response.answer_text == "calciphylaxis" and response.score == 1.0


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_unbroken_comment_does_not_widen_the_page(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, width: int
) -> None:
    case = answerable_case()
    first, second = list(case.questions.order_by("order"))
    services.case_answer(
        user=resident,
        case=case,
        answers={
            first.pk: services.Answer(frozenset({first.choices.first().pk})),  # type: ignore[union-attr]
            second.pk: services.Answer(text="calciphylaxis"),
        },
    )
    CommentFactory(case=case, author=resident, body="x" * 5000)
    page = new_page(resident, viewport={"width": width, "height": 900})
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.locator(".comment-body").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") == width
    # A 20,000-character comment is refused with a message, and the text stays in the box.
    page.locator("#comment-body").fill("y" * 20_000)
    page.get_by_role("button", name="Post comment").click()
    page.get_by_text("A comment can be at most 5,000 characters").wait_for()
    assert len(page.locator("#comment-body").input_value()) == 20_000
    assert page.evaluate("document.documentElement.scrollWidth") == width
    if width == 1280:
        _shot(page, "comment-refused")


def test_the_demo_resident_sits_the_demo_exam_and_reads_their_progress(
    new_page: Callable[..., Any], live_server: Any
) -> None:
    """The demo exam over the five seed cases, as the README screenshots show it."""
    from django.contrib.auth import get_user_model

    from quiz.demo import seed_demo
    from quiz.models import Quiz

    seed_demo()
    exam = Quiz.objects.get(mode=Quiz.Mode.EXAM)
    resident = get_user_model().objects.get(username="resident")
    page = new_page(resident)
    _start(page, live_server.url, exam)
    # tf-0001 is progressive: one question, committed, then the next.
    assert page.locator("fieldset.question").count() == 1
    page.get_by_label("Your answer to question 1").fill("soft-tissue calcification")
    page.locator(SAVED).wait_for()
    page.get_by_role("button", name="Commit answer to Q1 (locks it)").click()
    page.get_by_label("Your answer to question 2").wait_for()
    assert page.locator(".locked-answer").count() == 1
    page.get_by_label("Your answer to question 2").fill("calciphylaxis")
    page.locator(SAVED).wait_for()
    page.get_by_role("button", name="Next case").click()
    page.wait_for_url("**/cases/2/")
    page.get_by_label("Calcium salts deposited in lung tissue", exact=False).check()
    page.locator(SAVED).wait_for()
    page.get_by_label("Flag this case for review").check()
    page.locator("#attempt-steps .step-flagged").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "docs-exam")
    phone = new_page(resident, viewport={"width": 390, "height": 844})
    phone.goto(page.url)
    _shot(phone, "docs-exam-phone")
    page.get_by_role("link", name="Hand in the exam…").click()
    page.wait_for_url("**/finish/")
    _shot(page, "docs-hand-in")
    page.get_by_role("button", name="Hand in now").click()
    page.get_by_role("heading", name=f"Results: {exam.title}").wait_for()
    page.get_by_role("link", name="Review case 1").click()
    page.locator("[data-score-summary]").wait_for()
    _shot(page, "docs-reveal")
    page.goto(f"{live_server.url}/progress/")
    page.get_by_role("heading", name="Your progress").wait_for()
    assert page.locator("[data-cases-answered]").inner_text() == "5"
    screenshot(page, "docs-progress")


def test_without_javascript_the_exam_buttons_save_and_move(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = _exam(cohort, size=2)
    page = new_page(resident, js=False)
    _start(page, live_server.url, scene.quiz)
    page.get_by_label("Your answer to question 2").fill("calciphylaxis")
    page.get_by_label("Flag this case for review").check()
    page.get_by_role("button", name="Next case").click()
    page.wait_for_url("**/cases/2/")
    page.get_by_role("button", name="Previous case").click()
    page.wait_for_url("**/cases/1/")
    assert page.get_by_label("Your answer to question 2").input_value() == "calciphylaxis"
    assert page.get_by_label("Flag this case for review").is_checked()
    page.get_by_role("link", name="Hand in the exam…").click()
    page.get_by_role("button", name="Hand in now").click()
    page.get_by_role("heading", name="Results: Calcification exam").wait_for()
