"""Response analysis and the quiz-level CSV columns (issue 19)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from quiz.reports.response_analysis import response_analysis
from quiz.reports.statistics import MIN_N, QuizStats, counted_responses, item_statistics
from teachingfile.models import Question
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db


def _answer(question, score, *, choice=None, text="", quiz=None):  # type: ignore[no-untyped-def]
    attempt = AttemptFactory(quiz=quiz, finished_at=timezone.now())
    response = ResponseFactory(attempt=attempt, question=question, score=score, answer_text=text)
    if choice is not None:
        response.choices.add(choice)
    return response


def _analysis(*questions: Question):  # type: ignore[no-untyped-def]
    base = counted_responses()
    counted = {pk: s.n for pk, s in item_statistics(base).items()}
    return response_analysis(base, list(questions), counted)


def test_it_counts_each_choice_with_its_share_and_correctness() -> None:
    question = QuestionFactory()
    right = ChoiceFactory(question=question, order=0, text="Calciphylaxis", is_correct=True)
    wrong = ChoiceFactory(question=question, order=1, text="Tumoral calcinosis")
    ChoiceFactory(question=question, order=2, text="Never chosen")
    for _ in range(3):
        _answer(question, 1, choice=right)
    _answer(question, 0, choice=wrong)
    _answer(question, 0)  # closed unanswered
    rows = [(r.label, r.count, r.share, r.verdict) for r in _analysis(question)[question.pk]]
    assert rows == [
        ("Calciphylaxis", 3, 0.6, "correct"),
        ("Tumoral calcinosis", 1, 0.2, "wrong"),
        ("Never chosen", 0, 0.0, "wrong"),
        ("No answer", 1, 0.2, ""),
    ]


def test_it_groups_free_text_by_its_normalised_form() -> None:
    question = QuestionFactory(kind=Question.Kind.FREE_TEXT)
    for text, score in [
        ("Calciphylaxis", 1),
        ("calciphylaxis.", 1),
        ("CALCIPHYLAXIS", 1),
        ("gout", 0),
        ("", 0),
    ]:
        _answer(question, score, text=text)
    rows = [(r.label, r.count, r.verdict) for r in _analysis(question)[question.pk]]
    assert rows[0][1:] == (3, "correct")
    assert rows[0][0].casefold().startswith("calciphylaxis")
    assert ("gout", 1, "wrong") in rows
    assert ("No answer", 1, "") in rows


def test_it_is_hidden_below_the_minimum_number_of_attempts() -> None:
    question = QuestionFactory()
    choice = ChoiceFactory(question=question, is_correct=True)
    for _ in range(MIN_N - 1):
        _answer(question, 1, choice=choice)
    assert _analysis(question) == {}
    _answer(question, 1, choice=choice)
    assert _analysis(question)[question.pk][0].count == MIN_N


def test_the_page_shows_the_table_only_from_the_minimum_n(client, faculty) -> None:  # type: ignore[no-untyped-def]
    question = QuestionFactory(case=CaseFactory())
    choice = ChoiceFactory(question=question, text="Milk-alkali syndrome", is_correct=True)
    for _ in range(MIN_N - 1):
        _answer(question, 1, choice=choice)
    client.force_login(faculty)
    body = client.get(reverse("reports:item_analysis")).content.decode()
    assert "Milk-alkali syndrome" not in body
    assert f"appears from {MIN_N} counted attempts" in body
    _answer(question, 1, choice=choice)
    body = client.get(reverse("reports:item_analysis")).content.decode()
    assert "Milk-alkali syndrome" in body


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def small_quiz():  # type: ignore[no-untyped-def]
    """Totals 3, 2, 1.5, 0 on three one-mark questions: alpha 0.64, SE 0.75 (by hand)."""
    quiz = QuizFactory(title="Calcification exam")
    case = CaseFactory()
    QuizItemFactory(quiz=quiz, case=case)
    questions = [QuestionFactory(case=case, order=i) for i in range(3)]
    for row in ([1, 1, 1], [1, 0, 1], [0, 1, 0.5], [0, 0, 0]):
        attempt = AttemptFactory(quiz=quiz, finished_at=timezone.now())
        for question, score in zip(questions, row, strict=True):
            ResponseFactory(attempt=attempt, question=question, score=score)
    return quiz


def test_the_item_csv_carries_the_quiz_level_columns(client, director, small_quiz) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    rows = _csv(client.get(reverse("reports:item_csv"), {"quiz": small_quiz.pk}))
    assert len(rows) == 3
    assert set(QuizStats.CSV_COLUMNS) <= set(rows[0])
    assert rows[0]["n_attempts"] == "4"
    assert float(rows[0]["mean"]) == pytest.approx(100 * 1.625 / 3, abs=1e-4)
    assert float(rows[0]["cronbach_alpha"]) == pytest.approx(64)
    assert float(rows[0]["error_ratio"]) == pytest.approx(60)
    assert float(rows[0]["standard_error"]) == pytest.approx(25)


def test_the_quiz_csv_has_one_row_per_quiz(client, director, small_quiz) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    rows = _csv(client.get(reverse("reports:item_csv"), {"per": "quiz"}))
    assert [row["quiz"] for row in rows] == ["Calcification exam"]
    assert list(rows[0])[2:11] == list(QuizStats.CSV_COLUMNS)
    assert float(rows[0]["sd"]) == pytest.approx(100 * 1.25 / 3, abs=1e-4)


def test_the_panel_explains_each_number(client, faculty, small_quiz) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    body = client.get(reverse("reports:item_analysis"), {"quiz": small_quiz.pk}).content.decode()
    assert "Cronbach&#x27;s alpha" in body or "Cronbach's alpha" in body
    assert "64.0%" in body  # alpha
    assert "Above 75% is satisfactory" in body


def test_every_item_csv_column_name_is_unique(client, director, small_quiz) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    for per in ("question", "case", "quiz"):
        response = client.get(reverse("reports:item_csv"), {"per": per, "quiz": small_quiz.pk})
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(header) == len(set(header)), per
