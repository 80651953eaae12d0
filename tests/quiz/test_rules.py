"""quiz.rules: each access rule, alone, with the personas of tests/conftest.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.utils import timezone

from quiz import rules
from quiz.models import Attempt, Quiz, Response
from teachingfile import roles
from teachingfile.models import Case
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    CohortFactory,
    ProgramFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
)

pytestmark = pytest.mark.django_db


def _two_question_case() -> tuple[Case, list[int]]:
    case = CaseFactory()
    ids = []
    for order in (1, 2):
        question = QuestionFactory(case=case, order=order)
        ChoiceFactory(question=question, is_correct=True)
        ids.append(question.pk)
    return case, ids


def _answer(attempt: Attempt, case: Case, question_ids: list[int]) -> None:
    for pk in question_ids:
        Response.objects.create(
            attempt=attempt, question_id=pk, user=attempt.user, case=case, score=1
        )


def _library_attempt(user: AbstractUser, case: Case) -> Attempt:
    return AttemptFactory(user=user, kind=Attempt.Kind.CASE, case=case)


def _exam_attempt(user: AbstractUser, case: Case, *, finished: bool = False) -> Attempt:
    exam = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    QuizItemFactory(quiz=exam, case=case)
    now = timezone.now()
    return AttemptFactory(
        user=user,
        kind=Attempt.Kind.QUIZ,
        quiz=exam,
        deadline=now + timedelta(minutes=20),
        finished_at=now if finished else None,
    )


def test_every_question_in_one_attempt_earns_the_reveal(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    _answer(_library_attempt(resident, case), case, ids)
    assert rules.reveal_visible(resident, case)


def test_half_the_questions_earn_nothing(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    _answer(_library_attempt(resident, case), case, ids[:1])
    assert not rules.reveal_visible(resident, case)
    assert list(rules.earned_case_ids(resident)) == []


def test_halves_in_two_attempts_earn_nothing(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    _answer(_library_attempt(resident, case), case, ids[:1])
    _answer(_library_attempt(resident, case), case, ids[1:])
    assert not rules.reveal_visible(resident, case)


def test_review_sessions_do_not_count(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    _answer(AttemptFactory(user=resident, kind=Attempt.Kind.REVIEW), case, ids)
    assert not rules.reveal_visible(resident, case)


def test_an_exam_counts_once_handed_in(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    running = _exam_attempt(resident, case)
    _answer(running, case, ids)
    assert not rules.reveal_visible(resident, case)
    running.finished_at = timezone.now()
    running.save()
    assert rules.reveal_visible(resident, case)


def test_a_running_exam_holds_back_a_reveal_earned_before(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    _answer(_library_attempt(resident, case), case, ids)
    exam = _exam_attempt(resident, case)
    assert rules.exam_running(resident, case)
    assert not rules.reveal_visible(resident, case)
    # Past its deadline the exam no longer runs, even before anyone closes it.
    exam.deadline = timezone.now() - timedelta(seconds=1)
    exam.save()
    assert not rules.exam_running(resident, case)
    assert rules.reveal_visible(resident, case)


def test_the_sql_rule_and_the_one_attempt_rule_agree(resident: AbstractUser) -> None:
    case, ids = _two_question_case()
    attempt = _library_attempt(resident, case)
    for answered in ([], ids[:1], ids):
        Response.objects.filter(attempt=attempt).delete()
        _answer(attempt, case, answered)
        assert rules.attempt_reveal(ids, answered) == rules.reveal_visible(resident, case)


def test_a_case_without_questions_never_reveals_itself(resident: AbstractUser) -> None:
    case = CaseFactory()
    assert not rules.attempt_reveal([], [])
    assert not rules.reveal_visible(resident, case)


def test_faculty_see_every_reveal_and_anonymous_none(
    faculty: AbstractUser, resident: AbstractUser
) -> None:
    case, _ = _two_question_case()
    assert rules.reveal_visible(faculty, case)
    assert not rules.revealed_cases(AnonymousUser()).exists()
    assert not rules.running_exams(AnonymousUser()).exists()


def test_one_learners_answers_reveal_nothing_to_another(
    resident: AbstractUser, other_resident: AbstractUser
) -> None:
    case, ids = _two_question_case()
    _answer(_library_attempt(resident, case), case, ids)
    assert not rules.reveal_visible(other_resident, case)


def test_who_may_edit_a_case(
    faculty: AbstractUser, other_faculty: AbstractUser, editor: AbstractUser, resident: AbstractUser
) -> None:
    case = CaseFactory(owner=faculty)
    assert roles.may_edit_case(faculty, case)
    assert roles.may_edit_case(editor, case)
    assert not roles.may_edit_case(other_faculty, case)
    assert not roles.may_edit_case(resident, case)
    assert not roles.may_edit_case(faculty, CaseFactory(owner=None))


def test_directors_see_their_programs_cohorts_only(
    director: AbstractUser, resident: AbstractUser
) -> None:
    mine = CohortFactory(program=ProgramFactory())
    mine.program.directors.add(director)
    theirs = CohortFactory(program=ProgramFactory())
    assert set(rules.directed_cohorts(director)) >= {mine}
    assert theirs not in set(rules.directed_cohorts(director))
    assert not rules.directed_cohorts(resident).exists()


def _sql_ids(user: AbstractUser, now: datetime | None = None) -> set[int]:
    from django.db import connection

    sql, params = rules.revealed_case_ids_sql(user, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def test_the_compiled_rule_for_search_agrees_with_the_queryset(
    resident: AbstractUser, other_resident: AbstractUser
) -> None:
    earned, ids = _two_question_case()
    _answer(_library_attempt(resident, earned), earned, ids)
    half, half_ids = _two_question_case()
    _answer(_library_attempt(resident, half), half, half_ids[:1])
    held, held_ids = _two_question_case()
    _answer(_library_attempt(resident, held), held, held_ids)
    exam = _exam_attempt(resident, held)
    for learner in (resident, other_resident):
        expected = set(rules.revealed_cases(learner).values_list("pk", flat=True))
        assert _sql_ids(learner) == expected
    assert _sql_ids(resident) == {earned.pk}
    # The time is a parameter too: past the exam's deadline the held case is revealed.
    later = exam.deadline + timedelta(minutes=1)
    assert _sql_ids(resident, later) == {earned.pk, held.pk}
    assert set(rules.revealed_cases(resident, now=later).values_list("pk", flat=True)) == {
        earned.pk,
        held.pk,
    }
