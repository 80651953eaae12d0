"""The quiz builder in Chromium: filters with a live count, a random draw of cases the cohort
has not answered, an assignment with a due date, and the resident who then sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from quiz.models import Assignment, Cohort, Quiz
from tests.browser.conftest import screenshot
from tests.factories import AttemptFactory, CaseFactory, QuestionFactory, ResponseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_faculty_build_a_ten_case_quiz_of_unseen_cases_and_the_cohort_sees_it(
    new_page: Callable[..., Any],
    live_server: Any,
    faculty: AbstractUser,
    resident: AbstractUser,
    cohort: Cohort,
) -> None:
    chest = [CaseFactory(region="chest", modalities="CT") for _ in range(14)]
    for _ in range(5):
        CaseFactory(region="spine", modalities="MR")
    seen = chest[:3]
    attempt = AttemptFactory(user=resident)
    for case in seen:
        ResponseFactory(attempt=attempt, question=QuestionFactory(case=case))

    page = new_page(faculty)
    page.goto(f"{live_server.url}/quizzes/")
    page.get_by_role("link", name="Build a quiz").click()
    page.wait_for_url("**/quizzes/new/")
    count = page.locator(".live-count")
    assert count.inner_text() == "19"
    # htmx swaps the candidate list and its count as each filter changes.
    page.get_by_label("Region").select_option("chest")
    page.locator(".live-count", has_text="14").wait_for()
    page.get_by_label("Not yet answered by").select_option(str(cohort.pk))
    page.locator(".live-count", has_text="11").wait_for()
    assert all(case.public_id not in page.locator("#candidates").inner_text() for case in seen)

    page.fill("#id_count", "10")
    page.fill("#id_title", "Chest unknowns, week 49")
    page.get_by_label("Assign to cohort").select_option(str(cohort.pk))
    due = timezone.localtime() + timedelta(days=10)
    page.fill("#id_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, "quiz-builder")
    page.get_by_role("button", name="Build quiz").click()
    page.wait_for_url("**/edit/")
    screenshot(page, "quiz-builder-edit")

    quiz = Quiz.objects.get(title="Chest unknowns, week 49")
    # Drag the last case to the top: htmx swaps the list in its new order.
    last = quiz.items.last().case.public_id
    rows = page.locator("#quiz-items li")
    rows.nth(9).drag_to(rows.nth(0))
    page.locator("#quiz-items li").first.filter(has_text=last).wait_for()
    assert quiz.items.first().case.public_id == last
    drawn = set(quiz.items.values_list("case_id", flat=True))
    assert len(drawn) == 10
    assert drawn <= {case.pk for case in chest[3:]}
    assert Assignment.objects.get(quiz=quiz).cohort == cohort

    learner = new_page(resident)
    learner.goto(f"{live_server.url}/quizzes/")
    assigned = learner.locator("li", has_text="Chest unknowns, week 49")
    assigned.wait_for()
    assert f"Due {due:%-d %b %Y}" in assigned.inner_text()
    screenshot(learner, "resident-sees-built-quiz")
