"""Item statistics against values worked out by hand (see docs/statistics.md)."""

from __future__ import annotations

import math

import pytest
from django.utils import timezone

from quiz.reports.statistics import ItemStats, counted_responses, item_statistics
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    ResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _finished(**kwargs):  # type: ignore[no-untyped-def]
    return AttemptFactory(finished_at=timezone.now(), **kwargs)


@pytest.fixture
def small_test():  # type: ignore[no-untyped-def]
    """Four learners, three questions; q1 and q2 on one case, q3 (partial credit) on another.

    learner  q1  q2  q3   total
    A        1   1   1    3
    B        1   0   1    2
    C        0   1   0.5  1.5
    D        0   0   0    0
    """
    case_a, case_b = CaseFactory(), CaseFactory()
    q1 = QuestionFactory(case=case_a, order=1)
    q2 = QuestionFactory(case=case_a, order=2)
    q3 = QuestionFactory(case=case_b, order=1)
    table = {"A": (1, 1, 1), "B": (1, 0, 1), "C": (0, 1, 0.5), "D": (0, 0, 0)}
    for name, scores in table.items():
        attempt = _finished(user=UserFactory(username=f"learner-{name}"))
        for question, score in zip((q1, q2, q3), scores, strict=True):
            ResponseFactory(attempt=attempt, question=question, score=score)
    return {"q1": q1, "q2": q2, "q3": q3, "case_a": case_a, "case_b": case_b}


def test_it_computes_facility_sd_and_item_rest_correlation(small_test) -> None:  # type: ignore[no-untyped-def]
    stats = item_statistics(counted_responses())[small_test["q1"].pk]
    # x = 1,1,0,0; rest = 2,1,1.5,0; Sxy = 0.75, Sxx = 1, Syy = 2.1875.
    assert stats.n == 4
    assert stats.facility == pytest.approx(0.5)
    assert stats.sd == pytest.approx(math.sqrt(1 / 3))
    assert stats.discrimination == pytest.approx(0.75 / math.sqrt(2.1875))
    # Sorted pairs (0,0) (0,1) (1,1.5) (1,2) give the largest covariance, 1.25.
    assert stats.efficiency == pytest.approx(0.6)


def test_it_handles_partial_credit_and_tied_rest_scores(small_test) -> None:  # type: ignore[no-untyped-def]
    stats = item_statistics(counted_responses())[small_test["q3"].pk]
    # x = 1,1,0.5,0; rest = 2,1,1,0 (two ties); Sxy = 1, Sxx = 0.6875, Syy = 2.
    assert stats.facility == pytest.approx(0.625)
    assert stats.sd == pytest.approx(math.sqrt(0.6875 / 3))
    assert stats.discrimination == pytest.approx(1 / math.sqrt(1.375))
    # Already in the same order as the sorted pairs: as efficient as it can be.
    assert stats.efficiency == pytest.approx(1.0)


def test_it_treats_a_case_as_the_mean_of_its_questions(small_test) -> None:  # type: ignore[no-untyped-def]
    stats = item_statistics(counted_responses(), per="case")[small_test["case_a"].pk]
    # Case score = mean(q1, q2) = 1, .5, .5, 0; rest = q3 = 1, 1, .5, 0.
    assert stats.n == 4
    assert stats.facility == pytest.approx(0.5)
    assert stats.discrimination == pytest.approx(0.5 / math.sqrt(0.5 * 0.6875))


def test_it_uses_first_attempts_only(small_test) -> None:  # type: ignore[no-untyped-def]
    again = _finished(user=UserFactory(username="learner-D"))
    ResponseFactory(attempt=again, question=small_test["q1"], score=1)
    stats = item_statistics(counted_responses())[small_test["q1"].pk]
    assert stats.n == 4
    assert stats.facility == pytest.approx(0.5)


def test_it_leaves_out_attempts_waiting_for_a_score(small_test) -> None:  # type: ignore[no-untyped-def]
    attempt = _finished()
    ResponseFactory(attempt=attempt, question=small_test["q1"], score=1)
    ResponseFactory(attempt=attempt, question=small_test["q3"], score=None, method="pending")
    stats = item_statistics(counted_responses())
    # The whole attempt waits (as Moodle leaves out ungraded attempts), not just the response.
    assert stats[small_test["q3"].pk].n == 4
    assert stats[small_test["q1"].pk].n == 4


def test_a_single_respondent_has_a_facility_but_no_spread_or_discrimination() -> None:
    question = QuestionFactory()
    ResponseFactory(attempt=_finished(), question=question, score=0.5)
    stats = item_statistics(counted_responses())[question.pk]
    assert (stats.n, stats.facility) == (1, 0.5)
    assert stats.sd is None
    assert stats.discrimination is None
    assert stats.efficiency is None


def test_an_item_everyone_gets_right_has_undefined_discrimination() -> None:
    case = CaseFactory()
    easy, other = QuestionFactory(case=case, order=1), QuestionFactory(case=case, order=2)
    for score in (1, 0, 0.5, 1, 0):
        attempt = _finished()
        ResponseFactory(attempt=attempt, question=easy, score=1)
        ResponseFactory(attempt=attempt, question=other, score=score)
    stats = item_statistics(counted_responses())[easy.pk]
    assert stats.facility == 1.0
    assert stats.sd == 0.0
    assert stats.discrimination is None
    assert stats.flags == ["too easy"]


def test_it_flags_negative_discrimination_and_hard_items() -> None:
    stats = ItemStats.from_moments(1, 5, sm=5, sx=0.5, sxx=0.25, sy=6, syy=14, sxy=0, sxy_max=1.5)
    # x = 0,0,0,0,.5 against rest = 3,2,1,0,0: the one right answer has the lowest rest.
    assert stats.discrimination is not None and stats.discrimination < 0
    assert stats.flags == ["negative discrimination", "too hard"]


def test_it_scopes_statistics_to_the_given_responses(small_test) -> None:  # type: ignore[no-untyped-def]
    only_q3 = counted_responses().filter(question=small_test["q3"])
    stats = item_statistics(only_q3)
    assert set(stats) == {small_test["q3"].pk}
    # The rest score still counts the other questions of each attempt.
    assert stats[small_test["q3"].pk].discrimination == pytest.approx(1 / math.sqrt(1.375))
