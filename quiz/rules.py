"""Who may see and do what: the one home of every access rule a page asks.

Each rule is written once, as a QuerySet (so a page can filter or join on it in SQL) and,
where a single answer is wanted, as a function over that QuerySet. Callers never rebuild a
rule from its parts. Whether an attempt is finished is AttemptQuerySet.finished()/unfinished()
(`grep -rn "finished_at__isnull"` finds only those two and subqueries across relations).

The reveal rule, in words:
* Faculty (authors, editors) may always see a case's reveal.
* A learner has *earned* a case's reveal once one of their attempts holds a response to
  every question of the case, and that attempt counts: library and quiz attempts do,
  review sessions do not (they ask one question at a time), and an exam counts only once
  it is finished (its unanswered questions are then written as 0, so a handed-in exam
  always counts).
* A handed-in exam whose quiz opens its answers only after the due date earns nothing
  until that date (`withheld_exams`).
* An earned reveal is still *held back* while the learner sits a running exam (unfinished,
  before its deadline) that contains the case: the exam must not be answerable by opening
  the library.
* Progressive cases earn their questions one at a time inside an attempt
  (`attempt_reveal`); everything that is not tied to one attempt (search, comments,
  similar cases, exports) waits for the whole case, so half an answer reveals nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import Count, Exists, F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from quiz.models import Assignment, Attempt, Cohort, Collection, Quiz, Response
from teachingfile import roles
from teachingfile.models import Case, CaseQuerySet, Question
from teachingfile.roles import AnyUser, may_edit_case

# ---------------------------------------------------------------- exams


def running_exams(user: AnyUser, *, now: datetime | None = None) -> QuerySet[Attempt]:
    """The learner's exam attempts that are still open: unfinished and before the deadline."""
    if not user.is_authenticated:
        return Attempt.objects.none()
    return Attempt.objects.unfinished().filter(
        user=user,
        kind=Attempt.Kind.QUIZ,
        quiz__mode=Quiz.Mode.EXAM,
        deadline__gt=now or timezone.now(),
    )


def exam_running_for(
    user: AnyUser, case: Case | OuterRef, *, now: datetime | None = None
) -> Exists:
    """SQL: does a running exam of this learner hold `case` (a case, or OuterRef("pk"))?"""
    return Exists(running_exams(user, now=now).filter(quiz__items__case=case))


def exam_running(user: AnyUser, case: Case, *, now: datetime | None = None) -> bool:
    """Is `case` part of an exam this learner is sitting right now?"""
    return running_exams(user, now=now).filter(quiz__items__case=case).exists()


# ---------------------------------------------------------------- the reveal


def withheld_exams(user: AnyUser, *, now: datetime | None = None) -> QuerySet[Attempt]:
    """Handed-in exams whose quiz opens the answers only after a due date still ahead.

    The due date is that of the quiz's assignment to one of the learner's cohorts (the
    latest, if several): until it passes, the exam earns no reveal.
    """
    return Attempt.objects.finished().filter(
        user=user,
        kind=Attempt.Kind.QUIZ,
        quiz__mode=Quiz.Mode.EXAM,
        quiz__reveal_before_due=False,
        quiz__assignments__cohort__memberships__resident=user,
        quiz__assignments__due_at__gt=now or timezone.now(),
    )


def reveal_withheld_until(attempt: Attempt, *, now: datetime | None = None) -> datetime | None:
    """When a handed-in exam's answers open, if that is still ahead (else None)."""
    quiz = attempt.quiz
    if quiz is None or not quiz.is_exam or quiz.reveal_before_due or not attempt.is_finished:
        return None
    due = Assignment.objects.filter(
        quiz=quiz, cohort__memberships__resident=attempt.user_id, due_at__isnull=False
    ).aggregate(due=Max("due_at"))["due"]
    if due is None or due <= (now or timezone.now()):
        return None
    return due


def without_exam_drafts(responses: QuerySet[Response]) -> QuerySet[Response]:
    """Leave out the answers of exams not handed in yet: drafts the learner may change.

    They neither earn a reveal nor count in any score a learner or a director sees.
    """
    return responses.exclude(attempt__quiz__mode=Quiz.Mode.EXAM, attempt__finished_at__isnull=True)


def counting_responses(user: AnyUser, *, now: datetime | None = None) -> QuerySet[Response]:
    """The learner's responses in attempts that can earn a reveal."""
    return without_exam_drafts(
        Response.objects.filter(user=user).exclude(attempt__kind=Attempt.Kind.REVIEW)
    ).exclude(attempt__in=withheld_exams(user, now=now))


def earned_case_ids(user: AnyUser, *, now: datetime | None = None) -> QuerySet[Response]:
    """SQL (`values("case_id")`): cases with every question answered in one counting attempt."""
    needed = (
        Question.objects.filter(case=OuterRef("case"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        counting_responses(user, now=now)
        .order_by()
        .values("attempt_id", "case_id")
        .annotate(answered=Count("question", distinct=True), needed=Subquery(needed))
        .filter(answered__gte=F("needed"))
        .values("case_id")
    )


def revealed_cases(user: AnyUser, *, now: datetime | None = None) -> QuerySet[Case]:
    """Cases whose reveal this user may see right now (faculty: all of them)."""
    if roles.is_faculty(user):
        return Case.objects.all()
    if not user.is_authenticated:
        return Case.objects.none()
    return _learner_revealed(user, now or timezone.now())


def _learner_revealed(user: AnyUser, now: datetime) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=earned_case_ids(user, now=now)).exclude(
        pk__in=running_exams(user, now=now).values("quiz__items__case")
    )


def revealed_case_ids_sql(user: AnyUser, *, now: datetime | None = None) -> tuple[str, list[Any]]:
    """SQL selecting the ids of the cases whose reveal this learner may see now, and params.

    For search, which joins it into its full-text query on every request. The rule is the
    one of `revealed_cases`; what differs is cost: building that QuerySet compiles a few
    hundred ORM expressions (a quarter of a search's CPU), and its SQL is the same for
    every learner but for the user id and the time. It is compiled once per database
    (`_revealed_sql_shape`) and only those parameters are put in per call. Learners only:
    faculty see every reveal, anonymous users none.
    """
    sql, user_slots, now_slots, params = _revealed_sql_shape(connection.alias)
    now_value = connection.ops.adapt_datetimefield_value(now or timezone.now())
    filled = list(params)
    for slot in user_slots:
        filled[slot] = user.pk
    for slot in now_slots:
        filled[slot] = now_value
    return sql, filled


@functools.lru_cache(maxsize=4)
def _revealed_sql_shape(
    alias: str,
) -> tuple[str, tuple[int, ...], tuple[int, ...], tuple[Any, ...]]:
    """The learner rule compiled for two made-up learners and times: which params vary.

    Refuses (RuntimeError) unless the two compilations differ only in the user id and the
    time params, so a change to the rule that put either into the SQL text cannot pass
    silently (tests/quiz/test_rules.py compares the result with the QuerySet's).
    """
    User = get_user_model()
    probes = [
        (User(pk=-7_000_001), datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)),
        (User(pk=-7_000_002), datetime(1902, 7, 8, 9, 10, 11, tzinfo=UTC)),
    ]
    ops = connections[alias].ops
    compiled = [
        _learner_revealed(user, now).values("pk").query.sql_with_params() for user, now in probes
    ]
    (sql, first), (other_sql, second) = compiled
    if sql != other_sql or len(first) != len(second):
        raise RuntimeError("the reveal rule's SQL depends on more than its parameters")
    user_slots, now_slots = [], []
    for slot, (a, b) in enumerate(zip(first, second, strict=True)):
        if a == b:
            continue
        if (a, b) == (probes[0][0].pk, probes[1][0].pk):
            user_slots.append(slot)
        elif (a, b) == tuple(ops.adapt_datetimefield_value(now) for _, now in probes):
            now_slots.append(slot)
        else:
            raise RuntimeError(f"the reveal rule has an unexpected parameter at {slot}")
    if not user_slots:
        raise RuntimeError("the reveal rule's SQL does not name its learner")
    return sql, tuple(user_slots), tuple(now_slots), tuple(first)


def reveal_visible(user: AnyUser, case: Case, *, now: datetime | None = None) -> bool:
    """May this user see the reveal of `case` outside one attempt (comments, search...)?"""
    return revealed_cases(user, now=now).filter(pk=case.pk).exists()


def attempt_reveal(question_ids: Iterable[int], answered_ids: Iterable[int]) -> bool:
    """Within one attempt: the case is revealed once every one of its questions is answered.

    The same rule as `earned_case_ids`, for a page that already holds the attempt's rows.
    A case without questions never reveals itself to a learner.
    """
    wanted = set(question_ids)
    return bool(wanted) and wanted <= set(answered_ids)


# ---------------------------------------------------------------- programs
# (`may_edit_case` lives in teachingfile.roles: it needs nothing of the quiz.)


def directed_cohorts(user: AnyUser) -> QuerySet[Cohort]:
    """Cohorts whose residents this user may see: their programs' (site admins: all)."""
    cohorts = Cohort.objects.select_related("program")
    if getattr(user, "is_superuser", False):
        return cohorts
    if not roles.is_director(user):
        return cohorts.none()
    return cohorts.filter(program__directors=user)


# ---------------------------------------------------------------- quiz builder (issue 18)


def may_build_quizzes(user: AnyUser) -> bool:
    """Faculty and editors build quizzes; residents and directors do not."""
    return roles.is_faculty(user)


def may_edit_quiz(user: AnyUser, quiz: Quiz) -> bool:
    """Editors edit any quiz; other faculty the quizzes they built."""
    if roles.is_editor(user):
        return True
    return (
        roles.is_faculty(user) and quiz.created_by_id is not None and quiz.created_by_id == user.pk
    )


def assignable_cohorts(user: AnyUser) -> QuerySet[Cohort]:
    """Cohorts a quiz builder may assign to: faculty teach every cohort; directors theirs."""
    if roles.is_faculty(user):
        return Cohort.objects.select_related("program")
    return directed_cohorts(user)


def quiz_has_attempts(quiz: Quiz) -> bool:
    """A quiz with attempts keeps its cases: removing one would change past scores."""
    return Attempt.objects.filter(quiz=quiz).exists()


# ---------------------------------------------------------------- collections (issue 18)


def shareable_cohorts(user: AnyUser) -> QuerySet[Cohort]:
    """Cohorts a user may share a collection with: their own, or (faculty) any they teach."""
    if roles.is_faculty(user) or roles.is_director(user):
        return assignable_cohorts(user)
    if not user.is_authenticated:
        return Cohort.objects.none()
    return Cohort.objects.select_related("program").filter(memberships__resident=user)


def collection_cases(user: AnyUser, collection: Collection) -> CaseQuerySet:
    """The cases of a collection this user is entitled to see: a draft never leaks."""
    return Case.objects.visible_to(user).filter(collection_items__collection=collection)


__all__ = [
    "assignable_cohorts",
    "attempt_reveal",
    "collection_cases",
    "counting_responses",
    "directed_cohorts",
    "earned_case_ids",
    "exam_running",
    "exam_running_for",
    "may_build_quizzes",
    "may_edit_case",
    "may_edit_quiz",
    "quiz_has_attempts",
    "reveal_visible",
    "reveal_withheld_until",
    "revealed_case_ids_sql",
    "revealed_cases",
    "running_exams",
    "shareable_cohorts",
    "withheld_exams",
    "without_exam_drafts",
]
