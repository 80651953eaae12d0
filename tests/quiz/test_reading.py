"""quiz.reading: the case's cached rows, the learner's rows, and what each state shows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quiz import reading
from quiz.models import Attempt, Response, ReviewCard
from teachingfile.models import Case, Comment, LabValue, Question
from teachingfile.services import case_touch
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    CommentFactory,
    FigureFactory,
    QuestionFactory,
    RatingFactory,
)

pytestmark = pytest.mark.django_db


def _case(*, progressive: bool = False, questions: int = 2) -> Case:
    case = CaseFactory(progressive=progressive)
    for order in range(questions, 0, -1):  # made out of order: the loader sorts
        question = QuestionFactory(case=case, order=order, prompt=f"Question {order}?")
        ChoiceFactory(question=question, order=1, text="B", is_correct=False)
        ChoiceFactory(question=question, order=0, text="A", is_correct=True)
    LabValue.objects.create(case=case, name="Calcium", value="2.9", order=2)
    LabValue.objects.create(case=case, name="Phosphate", value="2.1", order=1)
    return Case.objects.get(pk=case.pk)


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _answer(attempt: Attempt, question: Question, *, right: bool = True) -> Response:
    choice = question.choices.get(text="A" if right else "B")
    response = Response.objects.create(
        attempt=attempt,
        question=question,
        user=attempt.user,
        case=question.case,
        score=1 if right else 0,
    )
    response.choices.add(choice)
    return response


def test_content_is_ordered_and_read_from_the_cache_the_second_time() -> None:
    case = _case()
    content = reading.case_content(_fresh(case))
    assert [q.prompt for q in content.questions] == ["Question 1?", "Question 2?"]
    assert [c.text for c in content.questions[0].choices.all()] == ["A", "B"]
    assert [lab.name for lab in content.lab_values] == ["Phosphate", "Calcium"]

    with CaptureQueriesContext(connection) as ctx:
        again = reading.case_content(_fresh(case))
        [list(q.choices.all()) for q in again.questions]
    assert len(ctx.captured_queries) == 1  # the case row itself; its content is cached
    assert again.question_ids == content.question_ids


def test_content_reloads_after_the_case_is_touched() -> None:
    case = _case()
    reading.case_content(_fresh(case))
    QuestionFactory(case=case, order=3, prompt="Question 3?")
    assert len(reading.case_content(_fresh(case)).questions) == 2  # not touched yet
    case_touch(case)
    assert len(reading.case_content(_fresh(case)).questions) == 3


def test_learner_rows_are_this_attempts_only(resident: AbstractUser) -> None:
    case = _case()
    q1, q2 = reading.case_content(case).questions
    older = AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case)
    _answer(older, q1, right=False)
    _answer(older, q2)
    current = AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case)
    _answer(current, q1)

    lines = reading.load_questions(case, user=resident, attempt=current)
    assert [line.response is not None for line in lines] == [True, False]
    assert lines[0].picked == {q1.choices.get(text="A").pk}
    assert lines[0].response is not None and lines[0].response.attempt == current
    assert reading.latest_library_attempt(resident, case) == current


def test_no_attempt_costs_no_query_once_cached(resident: AbstractUser) -> None:
    case = _case()
    reading.case_content(case)
    with CaptureQueriesContext(connection) as ctx:
        lines = reading.load_questions(case, user=resident, attempt=None)
    assert len(ctx.captured_queries) == 0
    assert all(line.response is None for line in lines)


def test_history_says_seen_before_and_carded(resident: AbstractUser) -> None:
    case = _case()
    q1, q2 = reading.case_content(case).questions
    _answer(AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case), q1)
    ReviewCard.objects.create(user=resident, question=q2, due=timezone.now())
    lines = reading.load_questions(case, user=resident, attempt=None, with_history=True)
    assert [(line.seen_before, line.has_card) for line in lines] == [(True, False), (False, True)]


def _work(case: Case, user: AbstractUser, attempt: Attempt | None, **options: bool) -> object:
    lines = reading.load_questions(case, user=user, attempt=attempt)
    return reading.build_case_work(case=case, questions=lines, user=user, action_url="/", **options)


def test_a_progressive_case_shows_the_next_question_only(resident: AbstractUser) -> None:
    case = _case(progressive=True)
    q1, _ = reading.case_content(case).questions
    attempt = AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case)
    _answer(attempt, q1)
    work = _work(case, resident, attempt)
    assert isinstance(work, reading.CaseWork)
    shown = [(s.show_feedback, s.show_form) for s in work.questions]
    assert shown == [(True, False), (False, True)]
    assert not work.revealed
    assert work.comments == [] and work.differentials == []


def test_all_answered_reveals_with_the_extras(
    resident: AbstractUser, faculty: AbstractUser
) -> None:
    case = _case()
    FigureFactory(case=case, stage="reveal")
    CommentFactory(case=case, body="Shown")
    CommentFactory(case=case, body="Hidden by faculty", hidden=True)
    RatingFactory(case=case, difficulty=4, quality=2)
    case_touch(case)
    case = _fresh(case)
    attempt = AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case)
    for question in reading.case_content(case).questions:
        _answer(attempt, question)

    work = _work(case, resident, attempt)
    assert isinstance(work, reading.CaseWork)
    assert work.revealed and all(s.show_feedback for s in work.questions)
    assert [c.body for c in work.comments] == ["Shown"]
    assert work.rating == {"difficulty": 4.0, "quality": 2.0, "n": 1}
    assert len(work.figures) == 1
    faculty_work = _work(case, faculty, None, preview=True)
    assert isinstance(faculty_work, reading.CaseWork)
    assert {c.body for c in faculty_work.comments} == {"Shown", "Hidden by faculty"}
    assert Comment.objects.count() == 2


def test_an_unfinished_exam_shows_forms_and_no_feedback(resident: AbstractUser) -> None:
    case = _case()
    q1, q2 = reading.case_content(case).questions
    attempt = AttemptFactory(user=resident, kind=Attempt.Kind.QUIZ, case=None)
    _answer(attempt, q1)
    _answer(attempt, q2)
    running = _work(case, resident, attempt, exam=True, exam_over=False)
    over = _work(case, resident, attempt, exam=True, exam_over=True)
    assert isinstance(running, reading.CaseWork) and isinstance(over, reading.CaseWork)
    assert not running.revealed and not running.any_feedback and running.has_form
    assert over.revealed and over.any_feedback and not over.has_form


def test_a_blocked_case_reveals_nothing(resident: AbstractUser) -> None:
    case = _case(questions=1)
    attempt = AttemptFactory(user=resident, kind=Attempt.Kind.CASE, case=case)
    _answer(attempt, reading.case_content(case).questions[0])
    work = _work(case, resident, attempt)
    blocked = reading.build_case_work(
        case=case,
        questions=reading.load_questions(case, user=resident, attempt=attempt),
        user=resident,
        action_url="/",
        blocked_message="In an exam.",
    )
    assert isinstance(work, reading.CaseWork)
    assert work.revealed and not blocked.revealed
