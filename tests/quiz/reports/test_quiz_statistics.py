"""Quiz-level statistics and the attempt rules, against hand-worked and published figures.

The published figures are those of Moodle's own quiz-statistics test (fixture results00.csv,
25 attempts x 7 questions; expected values in stats_from_steps_walkthrough_test.php), which
its authors computed independently in a spreadsheet.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from quiz import services
from quiz.models import Attempt, Response
from quiz.reports.statistics import (
    MIN_N,
    QuizStats,
    WhichAttempts,
    counted_responses,
    item_statistics,
    quiz_statistics,
)
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    ResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Moodle's results00.csv: the mark of each of 25 attempts on 7 one-mark questions.
MOODLE_MARKS = """
1 1 1 1 1 0 1|1 1 1 1 .5 1 0|1 1 1 1 .5 0 1|0 0 1 1 1 0 0|1 0 1 0 0 1 .5
1 1 1 1 .5 0 .5|0 1 1 1 .5 1 .5|1 1 1 0 .5 1 .5|1 0 1 1 1 1 1|0 1 1 0 .5 1 .5
.8 0 1 1 .5 1 .5|1 1 1 0 .5 1 1|1 0 1 1 .5 1 .5|1 0 1 1 1 0 .5|0 0 1 1 0 1 1
1 0 1 0 .5 1 1|.8 0 1 1 .5 0 1|1 0 1 1 0 1 .5|1 0 1 1 .5 0 .5|0 1 1 0 .5 1 0
1 1 .3333333 1 .5 0 .5|1 1 1 0 .5 0 .5|1 1 1 1 0 1 .5|0 0 1 0 .5 1 1|0 0 1 1 1 1 1
"""


def _quiz_with(rows: list[list[float]], marks: list[float] | None = None):  # type: ignore[no-untyped-def]
    """A quiz of one case per question, and one finished attempt per row of scores."""
    quiz = QuizFactory()
    questions = []
    for i in range(len(rows[0])):
        case = CaseFactory()
        QuizItemFactory(quiz=quiz, case=case, order=i)
        max_mark = marks[i] if marks else 1.0
        questions.append(QuestionFactory(case=case, max_mark=max_mark))
    start = timezone.now() - timedelta(days=1)
    for n, row in enumerate(rows):
        attempt = AttemptFactory(
            quiz=quiz, started_at=start, finished_at=start + timedelta(minutes=n + 1)
        )
        for question, score in zip(questions, row, strict=True):
            ResponseFactory(attempt=attempt, question=question, score=score)
    return quiz, questions


def test_it_reproduces_moodles_published_quiz_statistics() -> None:
    rows = [[float(v) for v in r.split()] for r in MOODLE_MARKS.replace("\n", "|").split("|") if r]
    assert len(rows) == 25
    quiz, _ = _quiz_with(rows)
    stats = quiz_statistics(WhichAttempts.FIRST, quiz.pk)
    expected = {
        "mean": 4.617333332,
        "median": 4.5,
        "sd": 0.8117265554,
        "skewness": -0.092502502,
        "kurtosis": -0.7073968557,
        "cronbach_alpha": -0.872230935542,  # Moodle prints -87.22 %
        "error_ratio": 1.368294900795,  # 136.83 %
        "standard_error": 1.1106813066,
    }
    assert stats.n_attempts == 25
    assert stats.max_total == 7
    for name, value in expected.items():
        assert getattr(stats, name) == pytest.approx(value, rel=1.5e-5), name


@pytest.fixture
def four_learners():  # type: ignore[no-untyped-def]
    """Totals 3, 2, 1.5, 0 on three one-mark questions (see docs/statistics.md)."""
    return _quiz_with([[1, 1, 1], [1, 0, 1], [0, 1, 0.5], [0, 0, 0]])


def test_it_computes_each_quiz_level_statistic_by_hand(four_learners) -> None:  # type: ignore[no-untyped-def]
    quiz, _ = four_learners
    stats = quiz_statistics(WhichAttempts.FIRST, quiz.pk)
    # Mean 13/8; deviations 11/8, 3/8, -1/8, -13/8; sum of squares 75/16, so k2 = 25/16.
    assert (stats.n_attempts, stats.mean, stats.median) == (4, 1.625, 1.75)
    assert stats.sd == pytest.approx(1.25)
    # k3 = 16 m3 / 6 = -35/32; skewness = k3 / k2^1.5 = -0.56.
    assert stats.skewness == pytest.approx(-0.56)
    # k4 = 16 (5 m4 - 9 m2^2) / 6 = 145/64; kurtosis = k4 / k2^2 = 116/125.
    assert stats.kurtosis == pytest.approx(116 / 125)
    # Item variances 1/3, 1/3, 11/48 (sum 43/48): alpha = 3/2 (1 - (43/48) / (25/16)) = 0.64.
    assert stats.cronbach_alpha == pytest.approx(0.64)
    assert stats.error_ratio == pytest.approx(0.6)
    assert stats.standard_error == pytest.approx(0.75)
    # As Moodle shows them: marks as % of the 3 available.
    assert stats.percent(stats.mean) == pytest.approx(100 * 1.625 / 3)
    row = dict(zip(QuizStats.CSV_COLUMNS, stats.csv_values(), strict=True))
    assert row["cronbach_alpha"] == pytest.approx(64)
    assert row["standard_error"] == pytest.approx(25)


def test_shape_statistics_need_enough_attempts() -> None:
    stats = QuizStats.from_totals([1.0, 2.0], 3.0, [0.5, 0.5])
    assert stats.sd == pytest.approx(math.sqrt(0.5))
    # Moodle: skewness needs 3 attempts, kurtosis 4; alpha needs the variance k2 of 3+.
    assert (stats.skewness, stats.kurtosis, stats.cronbach_alpha) == (None, None, None)


def test_questions_count_by_their_maximum_mark() -> None:
    # q1 is worth 2 marks. Totals: 2+1 = 3, 2+0 = 2, 0+1 = 1, 0+0 = 0, 1+1 = 2 (a half on q1).
    quiz, (q1, q2) = _quiz_with([[1, 1], [1, 0], [0, 1], [0, 0], [0.5, 1]], marks=[2, 1])
    stats = quiz_statistics(WhichAttempts.FIRST, quiz.pk)
    assert stats.max_total == 3
    assert stats.mean == pytest.approx(8 / 5)
    items = item_statistics(counted_responses(quiz_id=quiz.pk))
    # Facility is the mean mark over the maximum: (2+2+0+0+1)/(5*2) = .5.
    assert items[q1.pk].facility == pytest.approx(0.5)
    # q2's rest score is q1's mark in marks (2, 2, 0, 0, 1), not its 0..1 score.
    x, rest = [1, 0, 1, 0, 1], [2, 2, 0, 0, 1]
    assert items[q2.pk].discrimination == pytest.approx(_pearson(x, rest))
    # And the attempt's own score is weighted too: (2 * 0.5 + 1) / 3.
    last = Attempt.objects.filter(quiz=quiz).order_by("finished_at").last()
    assert services._attempt_mean(last) == pytest.approx(2 / 3)


def _pearson(x: list[float], y: list[float]) -> float:
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


# --- which attempts count ---------------------------------------------------------------


@pytest.fixture
def retaken():  # type: ignore[no-untyped-def]
    """One learner takes a one-question quiz three times: 0.5, then 1, then 0."""
    quiz = QuizFactory()
    question = QuestionFactory()
    QuizItemFactory(quiz=quiz, case=question.case)
    learner = UserFactory(username="retaker")
    start = timezone.now() - timedelta(days=3)
    for day, score in enumerate((0.5, 1.0, 0.0)):
        at = start + timedelta(days=day)
        attempt = AttemptFactory(
            user=learner, quiz=quiz, started_at=at, finished_at=at + timedelta(minutes=5)
        )
        ResponseFactory(attempt=attempt, question=question, score=score)
        services._rescore_attempt(attempt.pk)
    return quiz, question


@pytest.mark.parametrize(
    ("which", "n", "facility"),
    [
        (WhichAttempts.FIRST, 1, 0.5),
        (WhichAttempts.HIGHEST, 1, 1.0),
        (WhichAttempts.LAST, 1, 0.0),
        (WhichAttempts.ALL, 3, 0.5),
    ],
)
def test_the_attempt_rule_chooses_which_attempts_count(retaken, which, n, facility) -> None:  # type: ignore[no-untyped-def]
    quiz, question = retaken
    stats = item_statistics(counted_responses(which, quiz.pk))[question.pk]
    assert (stats.n, stats.facility) == (n, pytest.approx(facility))


def test_first_means_the_first_attempt_at_this_quiz_not_the_first_answer_anywhere(  # type: ignore[no-untyped-def]
    retaken,
) -> None:
    quiz, question = retaken
    learner = UserFactory(username="retaker")
    # The same case met earlier in the library does not push the quiz attempt out.
    library = AttemptFactory(
        user=learner,
        kind=Attempt.Kind.CASE,
        case=question.case,
        started_at=timezone.now() - timedelta(days=30),
        finished_at=timezone.now() - timedelta(days=30),
    )
    ResponseFactory(attempt=library, question=question, score=0.0)
    Response.objects.filter(attempt__quiz=quiz).update(is_first_attempt=False)
    stats = item_statistics(counted_responses(WhichAttempts.FIRST, quiz.pk))[question.pk]
    assert (stats.n, stats.facility) == (1, 0.5)


def test_unfinished_attempts_do_not_count(four_learners) -> None:  # type: ignore[no-untyped-def]
    quiz, questions = four_learners
    open_attempt = AttemptFactory(quiz=quiz)  # started, never finished
    ResponseFactory(attempt=open_attempt, question=questions[0], score=1)
    assert quiz_statistics(WhichAttempts.FIRST, quiz.pk).n_attempts == 4
    assert item_statistics(counted_responses(quiz_id=quiz.pk))[questions[0].pk].n == 4


def test_an_attempt_waiting_on_a_grade_is_provisional(four_learners) -> None:  # type: ignore[no-untyped-def]
    quiz, questions = four_learners
    waiting = AttemptFactory(quiz=quiz, finished_at=timezone.now())
    ResponseFactory(attempt=waiting, question=questions[0], score=1)
    ResponseFactory(attempt=waiting, question=questions[1], score=None, method="pending")
    stats = quiz_statistics(WhichAttempts.FIRST, quiz.pk)
    assert (stats.n_attempts, stats.provisional) == (4, 1)
    # Graded, it counts like any other.
    Response.objects.filter(attempt=waiting, score__isnull=True).update(score=1, method="override")
    stats = quiz_statistics(WhichAttempts.FIRST, quiz.pk)
    assert (stats.n_attempts, stats.provisional) == (5, 0)


def test_an_unanswered_question_counts_as_zero_in_its_own_statistics() -> None:
    quiz = QuizFactory()
    case = CaseFactory()
    QuizItemFactory(quiz=quiz, case=case)
    q1, q2 = QuestionFactory(case=case, order=1), QuestionFactory(case=case, order=2)
    for answered in (True, True, False):
        attempt = AttemptFactory(quiz=quiz)
        ResponseFactory(attempt=attempt, question=q1, score=1)
        if answered:
            ResponseFactory(attempt=attempt, question=q2, score=1)
        services.attempt_finish(attempt=attempt)
    blank = Response.objects.get(question=q2, score=0)
    assert blank.is_first_attempt  # the learner had never answered q2 before
    stats = item_statistics(counted_responses(quiz_id=quiz.pk))[q2.pk]
    assert (stats.n, stats.facility) == (3, pytest.approx(2 / 3))


def test_no_flag_fires_below_the_minimum_number_of_attempts() -> None:
    quiz, (hard, _) = _quiz_with([[0, 1]] * (MIN_N - 1))
    stats = item_statistics(counted_responses(quiz_id=quiz.pk))[hard.pk]
    assert stats.facility == 0 and stats.flags == []
    quiz, (hard, _) = _quiz_with([[0, 1]] * MIN_N)
    assert item_statistics(counted_responses(quiz_id=quiz.pk))[hard.pk].flags == ["too hard"]
