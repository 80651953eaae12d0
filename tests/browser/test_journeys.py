"""End-to-end journeys in Chromium: faculty authoring and review, director reports, and the
answer flow with JavaScript switched off."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from quiz.models import Cohort, Response, ReviewCard
from teachingfile.models import Case
from tests.browser.conftest import log_in, screenshot
from tests.browser.scenes import answerable_case, assigned_quiz, tiny_png

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_faculty_case_goes_from_authoring_through_review_to_a_resident(
    new_page: Callable[..., Any],
    live_server: Any,
    faculty: AbstractUser,
    editor: AbstractUser,
    resident: AbstractUser,
    tmp_path: Any,
) -> None:
    image = tmp_path / "knee.png"
    image.write_bytes(tiny_png("K"))
    page = new_page()
    log_in(page, live_server.url, "farid", "pass-word-123")
    page.goto(f"{live_server.url}/admin/teachingfile/case/add/")
    page.fill("#id_unknown_title", "70-year-old man with knee pain")
    page.fill("#id_presentation", "Knee pain for a year.")
    page.fill("#id_patient_age", "70")
    page.select_option("#id_patient_sex", "M")
    page.fill("#id_known_title", "Chondrocalcinosis")
    page.fill("#id_diagnosis", "Calcium pyrophosphate deposition")
    if page.locator("#id_modalities").count():
        page.fill("#id_modalities", "XR")

    page.get_by_text("Add another Figure").click()
    page.fill("#id_figures-0-label", "Fig. 1")
    page.fill("#id_figures-0-alt_text", "Frontal radiograph of the knee")
    page.set_input_files("#id_figures-0-upload", str(image))

    page.get_by_text("Add another Question").click()
    page.get_by_text("Add another Question").click()
    page.fill("#id_questions-0-order", "1")
    page.select_option("#id_questions-0-kind", "single")
    page.fill("#id_questions-0-prompt", "Where is the calcification?")
    page.fill("#id_questions-0-choices_text", "*In the menisci | right\nIn the tendons | wrong")
    page.fill("#id_questions-1-order", "2")
    page.select_option("#id_questions-1-kind", "free_text")
    page.fill("#id_questions-1-prompt", "Your diagnosis?")
    page.fill("#id_questions-1-accepted_text", "CPPD\nchondrocalcinosis")
    screenshot(page, "faculty-case-form")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/teachingfile/case/")
    case = Case.objects.get(unknown_title="70-year-old man with knee pain")
    assert case.status == Case.Status.DRAFT
    assert case.figures.get().display.name
    assert case.questions.count() == 2

    # Submit for review with the change-list action, as the author would.
    page.locator(f"input[name=_selected_action][value='{case.pk}']").check()
    page.select_option("select[name=action]", "move_to_in_review")
    page.locator("button[name=index]").first.click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW

    # A second faculty member (an editor) publishes it from the review page.
    reviewer = new_page()
    log_in(reviewer, live_server.url, "edith", "pass-word-123")
    reviewer.goto(f"{live_server.url}/cases/{case.public_id}/peer-review/")
    screenshot(reviewer, "review-page")
    reviewer.get_by_role("button", name="Publish").click()
    reviewer.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Case.Status.PUBLISHED

    learner = new_page(resident)
    learner.goto(f"{live_server.url}/cases/")
    learner.get_by_role("link", name="70-year-old man with knee pain").click()
    learner.wait_for_url(f"**/cases/{case.public_id}/")
    assert learner.get_by_text("Where is the calcification?").is_visible()
    assert "Chondrocalcinosis" not in learner.content()
    screenshot(learner, "resident-sees-new-case")


def test_a_director_reads_the_cohort_one_resident_and_downloads_the_csv(
    new_page: Callable[..., Any],
    live_server: Any,
    director: AbstractUser,
    resident: AbstractUser,
    cohort: Cohort,
) -> None:
    scene = assigned_quiz(cohort, size=1)
    learner = new_page(resident)
    learner.goto(f"{live_server.url}/cases/{scene.cases[0].public_id}/")
    learner.get_by_label("Vascular calcification").check()
    learner.get_by_label("Your answer to question 2").fill("calciphylaxis")
    learner.get_by_role("button", name="Submit answer").click()
    learner.get_by_text("Calciphylaxis").first.wait_for()
    assert Response.objects.filter(user=resident).count() == 2

    page = new_page()
    log_in(page, live_server.url, "dana", "pass-word-123")
    page.goto(f"{live_server.url}/reports/")
    screenshot(page, "director-dashboard")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert len(rows) >= 2
    assert any("rosa" in " ".join(row) for row in rows[1:])

    page.get_by_role("link", name=resident.get_full_name() or resident.username).click()
    page.wait_for_url(f"**/reports/residents/{resident.pk}/")
    screenshot(page, "director-one-resident")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all answers as CSV").click()
    answers = Path(download_info.value.path()).read_text()
    assert "calciphylaxis" in answers.lower()


def test_the_answer_flow_works_without_javascript(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser
) -> None:
    case = answerable_case()
    page = new_page(js=False)
    log_in(page, live_server.url, "rosa", "pass-word-123")
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    assert "Calciphylaxis" not in page.content()
    # Submitting with nothing chosen: a clear message, and nothing stored.
    page.get_by_role("button", name="Submit answer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Give an answer before submitting.").is_visible()
    assert not Response.objects.filter(user=resident).exists()

    page.get_by_label("Vascular calcification").check()
    page.get_by_label("Your answer to question 2").fill("calciphilaxis")  # a typo is tolerated
    page.get_by_role("button", name="Submit answer").click()
    # The plain form post redirects to the case page, anchored at the reveal.
    page.wait_for_url(f"**/cases/{case.public_id}/#case-work")
    assert page.get_by_text("Net-like calcification of small vessels.").is_visible()
    screenshot(page, "reveal-without-javascript")
    scores = sorted(Response.objects.filter(user=resident).values_list("score", flat=True))
    assert scores == [1.0, 1.0]


def test_a_resident_takes_the_assigned_quiz_and_meets_the_miss_again_in_review(
    new_page: Callable[..., Any], live_server: Any, resident: AbstractUser, cohort: Cohort
) -> None:
    scene = assigned_quiz(cohort, size=2)
    page = new_page()
    log_in(page, live_server.url, "rosa", "pass-word-123")
    page.goto(f"{live_server.url}/quizzes/")
    page.get_by_role("link", name=scene.quiz.title).first.click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/cases/1/")
    assert "Net-like calcification" not in page.content()

    # Case 1 missed on purpose, case 2 right.
    page.get_by_label("Normal soft tissues").check()
    page.get_by_label("Your answer to question 2").fill("gout")
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Net-like calcification of small vessels.").first.wait_for()
    screenshot(page, "resident-reveal-after-a-miss")
    page.get_by_role("link", name="Next case").click()
    page.wait_for_url("**/cases/2/")
    page.get_by_label("Vascular calcification").check()
    page.get_by_label("Your answer to question 2").fill("calciphylaxis")
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Net-like calcification of small vessels.").first.wait_for()
    page.get_by_role("button", name="Finish quiz").click()
    page.wait_for_load_state()
    screenshot(page, "resident-quiz-results")

    # A day later, as far as the schedule is concerned: the misses are due.
    missed = ReviewCard.objects.filter(user=resident)
    assert missed.count() == 2
    missed.update(due=timezone.now() - timedelta(minutes=1))
    page.goto(f"{live_server.url}/review/")
    assert page.locator("[data-due-count]").inner_text() == "2"
    screenshot(page, "resident-review-queue")
    form = page.locator("form[data-answer-form]")
    if form.locator("input[type=text]").count():
        form.locator("input[type=text]").fill("calciphylaxis")
    else:
        form.get_by_label("Vascular calcification").check()
    form.get_by_role("button", name="Submit answer").click()
    page.wait_for_url("**/review/responses/*/")
    screenshot(page, "resident-review-feedback")
    assert Response.objects.filter(user=resident, attempt__kind="review").count() == 1
