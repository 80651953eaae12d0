"""The cohort table and the drill-down agree on one resident, and say which average is which."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from quiz import services
from quiz.reports.cohort import CohortFilters, cohort_table
from quiz.reports.resident import resident_summary, resident_topics, resident_weeks
from tests.factories import AttemptFactory, QuestionFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_attempts(resident):  # type: ignore[no-untyped-def]
    """A short attempt all right (2 answers, 100%) and a long one mostly wrong (4, 25%).

    Per attempt: (1 + 0.25) / 2 = 62.5%. Per answer: 3 right of 6 = 50%.
    """
    for scores in ((1, 1), (0, 0, 0, 1)):
        attempt = AttemptFactory(user=resident, finished_at=timezone.now())
        for order, score in enumerate(scores):
            ResponseFactory(attempt=attempt, question=QuestionFactory(order=order), score=score)
        services._rescore_attempt(attempt.pk)
    return resident


def test_the_same_residents_figures_reconcile(director, cohort, two_attempts) -> None:  # type: ignore[no-untyped-def]
    [row] = cohort_table(director, CohortFilters())
    summary = resident_summary(two_attempts.pk)
    # The cohort table's average is the drill-down's per-attempt average, to the digit.
    assert row.average == summary["per_attempt"] == pytest.approx(0.625)
    assert row.attempts == summary["attempts"] == 2
    # Weeks and topics break down the per-answer mean: weighted by their counts they add up.
    assert summary["per_answer"] == pytest.approx(0.5)
    for rows in (resident_weeks(two_attempts.pk), resident_topics(two_attempts.pk)["region"]):
        answers = sum(r["n"] for r in rows)
        assert answers == summary["answers"] == 6
        assert sum(r["n"] * r["average"] for r in rows) / answers == pytest.approx(0.5)


def test_every_average_states_its_unit(client, director, cohort, two_attempts) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    table = client.get(reverse("reports:reports_home")).content.decode()
    assert 'Average <span class="muted">(per attempt)</span>' in table
    assert "62%" in table  # 62.5, rounded half to even as the percent filter does
    page = client.get(reverse("reports:resident_detail", args=[two_attempts.pk])).content.decode()
    assert 'id="average-per-attempt">62%<' in page
    assert 'id="average-per-answer">50%<' in page
    assert "Mean score per answer, by week" in page
    assert "Mean score per answer by region" in page
    csv_head = client.get(reverse("reports:cohort_csv")).content.decode("utf-8-sig").splitlines()[0]
    assert "average score per attempt" in csv_head
