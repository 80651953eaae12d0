"""The cohort table: assignments, completion, overdue work, scores and the four-week trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiz.reports.cohort import CohortFilters, cohort_table
from tests.factories import (
    AssignmentFactory,
    AttemptFactory,
    MembershipFactory,
    QuizFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_it_counts_assigned_completed_and_overdue(director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    done, late, upcoming = QuizFactory(), QuizFactory(), QuizFactory()
    AssignmentFactory(quiz=done, cohort=cohort, due_at=NOW - timedelta(days=3))
    AssignmentFactory(quiz=late, cohort=cohort, due_at=NOW - timedelta(days=1))
    AssignmentFactory(quiz=upcoming, cohort=cohort, due_at=NOW + timedelta(days=7))
    AttemptFactory(user=resident, quiz=done, finished_at=NOW - timedelta(days=4))
    # Started but not finished: still overdue.
    AttemptFactory(user=resident, quiz=late, finished_at=None)

    [row] = cohort_table(director, CohortFilters(), now=NOW)
    assert (row.assigned, row.completed, row.overdue) == (3, 1, 1)


def test_it_averages_attempt_scores_and_compares_the_last_four_weeks(
    director, resident, cohort
) -> None:  # type: ignore[no-untyped-def]
    for score, days in ((1.0, 2), (0.5, 10), (0.25, 40)):
        AttemptFactory(
            user=resident,
            score=score,
            started_at=NOW - timedelta(days=days, hours=1),
            finished_at=NOW - timedelta(days=days),
        )
    # Still in progress: no score yet, but it is the latest activity.
    AttemptFactory(user=resident, score=None, started_at=NOW - timedelta(hours=1))

    [row] = cohort_table(director, CohortFilters(), now=NOW)
    assert row.attempts == 3
    assert row.average == pytest.approx(1.75 / 3)
    assert row.recent == pytest.approx(0.75)
    assert row.previous == pytest.approx(0.25)
    assert row.trend == pytest.approx(0.5)
    assert row.trend_label == "▲ +50 pts"
    assert row.last_activity == NOW - timedelta(hours=1)


def test_a_resident_without_answers_has_no_average_or_trend(director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    [row] = cohort_table(director, CohortFilters(), now=NOW)
    assert (row.attempts, row.average, row.trend, row.trend_label) == (0, None, None, "–")


def test_a_director_sees_only_residents_of_programs_they_direct(  # type: ignore[no-untyped-def]
    director, other_director, resident, other_resident, cohort, other_cohort
) -> None:
    assert [r.username for r in cohort_table(director, CohortFilters(), now=NOW)] == ["rosa"]
    assert [r.username for r in cohort_table(other_director, CohortFilters(), now=NOW)] == ["oscar"]


def test_faculty_and_residents_get_an_empty_table(faculty, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    assert cohort_table(faculty, CohortFilters(), now=NOW) == []
    assert cohort_table(resident, CohortFilters(), now=NOW) == []


def test_it_filters_by_year_name_and_overdue(director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    MembershipFactory(cohort=cohort, resident=UserFactory(username="yuki"), training_year=4)
    AssignmentFactory(cohort=cohort, due_at=NOW - timedelta(days=1))
    both = cohort_table(director, CohortFilters(), now=NOW)
    assert {r.username for r in both} == {"rosa", "yuki"}
    assert [r.username for r in cohort_table(director, CohortFilters(year=4), now=NOW)] == ["yuki"]
    assert [r.username for r in cohort_table(director, CohortFilters(search="ros"), now=NOW)] == [
        "rosa"
    ]
    assert len(cohort_table(director, CohortFilters(overdue_only=True), now=NOW)) == 2
    AttemptFactory(user=resident, quiz=cohort.assignments.get().quiz, finished_at=NOW)
    overdue = cohort_table(director, CohortFilters(overdue_only=True), now=NOW)
    assert [r.username for r in overdue] == ["yuki"]
