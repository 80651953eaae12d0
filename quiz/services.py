"""Writes behind the quiz: attempts, answers, self-assessment, overrides, review cards.

Over 600 lines: every write of a response goes through `_answer` here, with the locking and
scoring order it depends on; the answer parsing and the review-card update sit beside it so
that the one transaction is read in one file.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from people import audit
from quiz import reading, regions, rules, scheduling, scoring
from quiz.models import Attempt, Quiz, Response, ReviewCard
from teachingfile import roles
from teachingfile.models import Case, Choice, Comment, Question

P = ParamSpec("P")
R = TypeVar("R")


class AttemptRefused(Exception):
    """An attempt the quiz's policy does not allow; the message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AnswerRefused(Exception):
    """An answer the server will not store; the message is shown to the learner as is."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Answer:
    """What a learner submitted for one question: picked choice ids and/or typed text."""

    choice_ids: frozenset[int] = field(default_factory=frozenset)
    text: str = ""


def answer_is_blank(question: Question, answer: Answer) -> bool:
    if question.is_choice:
        known = {c.pk for c in question.choices.all()}
        return not (answer.choice_ids & known)
    return not answer.text.strip()


def score_answer(question: Question, answer: Answer) -> scoring.Outcome:
    """Score one answer; the question must come with its choices and accepted answers."""
    if question.is_region and not _is_region_text_fallback(question, answer):
        return regions.score_region(
            question.regions,
            regions.parse_markers(answer.text),
            margin=question.region_margin,
            mode=question.region_mode,
        )
    if question.kind in (Question.Kind.FREE_TEXT, Question.Kind.REGION):
        accepted = [(a.text, a.score) for a in question.accepted_answers.all()]
        return scoring.score_free_text(
            answer.text, accepted, threshold=settings.FREE_TEXT_MATCH_THRESHOLD
        )
    choices = list(question.choices.all())
    known = {c.pk for c in choices}
    selected = answer.choice_ids & known
    correct = [c.pk for c in choices if c.is_correct]
    if question.kind == Question.Kind.MULTIPLE:
        return scoring.score_multiple(correct, selected)
    return scoring.score_single(correct, selected)


def _is_region_text_fallback(question: Question, answer: Answer) -> bool:
    # Without JavaScript a region question may offer a typed answer, when its author wrote
    # accepted answers; a typed answer is told from markers by its characters.
    return bool(question.accepted_answers.all()) and not regions.looks_like_markers(answer.text)


def region_answer_problem(question: Question, answer: Answer) -> str:
    """Why a region answer cannot be stored ("" when it can)."""
    if not question.is_region or _is_region_text_fallback(question, answer):
        return ""
    try:
        regions.parse_markers(answer.text)
    except regions.MarkersInvalid as error:
        return str(error)
    return ""


def _answer_text(question: Question, answer: Answer) -> str:
    # Choice answers are kept as letters too, so that a CSV export reads without joins.
    if question.is_choice:
        letters = [c.letter for c in question.choices.all() if c.pk in answer.choice_ids]
        return ", ".join(letters)
    if question.is_region and not _is_region_text_fallback(question, answer):
        # Normalised to 4 decimals: the CSV export and the drill-down read it as is.
        return regions.format_markers(regions.parse_markers(answer.text))
    return answer.text.strip()[:2000]


@transaction.atomic
def case_attempt_start(*, user: Any, case: Case) -> Attempt:
    """A fresh library attempt at one case (the learner chose to try it again)."""
    attempt = Attempt(user=user, kind=Attempt.Kind.CASE, case=case)
    attempt.full_clean()
    attempt.save()
    return attempt


def quiz_attempt_start(*, user: Any, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Resume the learner's unfinished attempt at this quiz, or start one if allowed.

    An exam's deadline is fixed here, from the quiz's time limit at the moment of start;
    so is the attempt's order of cases and choices when the quiz shuffles them. Refuses
    (AttemptRefused) once the learner has used the attempts the quiz allows.
    """
    now = now or timezone.now()
    expired = (
        Attempt.objects.unfinished()
        .filter(user=user, kind=Attempt.Kind.QUIZ, quiz=quiz, deadline__lt=now)
        .first()
    )
    if expired is not None:
        # Closed in its own transaction, so that a refusal below does not undo it.
        attempt_finish(attempt=expired, now=now)
    return _quiz_attempt_open(user=user, quiz=quiz, now=now)


@transaction.atomic
def _quiz_attempt_open(*, user: Any, quiz: Quiz, now: datetime) -> Attempt:
    # Lock the quiz row: two clicks on "Start" must not open two attempts.
    _lock(Quiz.objects.filter(pk=quiz.pk))
    attempts = list(
        Attempt.objects.filter(user=user, kind=Attempt.Kind.QUIZ, quiz=quiz).only(
            "id", "finished_at", "deadline"
        )
    )
    current = next((a for a in attempts if a.finished_at is None), None)
    if current is not None:
        if not current.is_past_deadline(now):
            return Attempt.objects.get(pk=current.pk)
        attempt_finish(attempt=current, now=now)
    limit = quiz.attempt_limit
    if limit is not None and len(attempts) >= limit:
        raise AttemptRefused(
            f"You have used the {limit} attempt{'s' if limit != 1 else ''} this "
            f"{'exam' if quiz.is_exam else 'quiz'} allows."
        )
    attempt = Attempt(user=user, kind=Attempt.Kind.QUIZ, quiz=quiz, started_at=now)
    if quiz.is_exam and quiz.time_limit:
        attempt.deadline = now + quiz.time_limit
    shuffler = random.SystemRandom()
    if quiz.shuffle_cases:
        order = list(quiz.items.values_list("case_id", flat=True))
        shuffler.shuffle(order)
        attempt.case_order = order
    if quiz.shuffle_choices:
        rows = Choice.objects.filter(question__case__quiz_items__quiz=quiz).values_list(
            "question_id", "id"
        )
        by_question: dict[str, list[int]] = {}
        for question_id, choice_id in rows.order_by("question_id", "order", "id"):
            by_question.setdefault(str(question_id), []).append(choice_id)
        for ids in by_question.values():
            shuffler.shuffle(ids)
        attempt.choice_order = by_question
    attempt.full_clean()
    attempt.save()
    return attempt


def _lock(rows: Any) -> None:
    """Serialise writers on these rows until the transaction ends.

    SQLite has no row locks and needs none: its transactions begin IMMEDIATE (settings),
    so a writer holds the database from its first statement. Skipping the statement there
    keeps one query off every submit.
    """
    if connection.features.has_select_for_update:
        list(rows.select_for_update(of=("self",)).values_list("pk", flat=True))


@dataclass
class Answered:
    """The outcome of a submit: the case's questions with their responses, as now stored."""

    attempt: Attempt
    questions: list[reading.LearnerQuestion]
    stored: list[Response]


def _case_rows_first(locked: Callable[P, R]) -> Callable[P, R]:
    """Run `locked` in a transaction, after reading (or finding cached) the case's rows.

    On SQLite a transaction takes the write lock at its start (IMMEDIATE): the case's
    content (quiz.reading.case_content) is read before it, so that concurrent answers
    do not wait on reads that every learner shares.
    """
    atomic = transaction.atomic(locked)

    @functools.wraps(locked)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        case = kwargs["case"]
        assert isinstance(case, Case)
        reading.case_content(case)
        return atomic(*args, **kwargs)

    return run


@_case_rows_first
def case_answer(
    *, user: Any, case: Case, answers: Mapping[int, Answer], now: datetime | None = None
) -> Answered:
    """Answer a library case within the learner's latest attempt at it (started if none).

    The case row is locked first, so that a double submit finds the first one's attempt
    and responses and stores nothing more. `case` should come from
    `reading.case_queryset`, whose `exam_running` column saves a query.
    """
    now = now or timezone.now()
    _lock(Case.objects.filter(pk=case.pk))
    running = getattr(case, "exam_running", None)
    if running is None:
        running = rules.exam_running(user, case, now=now)
    if running:
        raise AnswerRefused(
            "This case is part of an exam you are taking; answer it there.", code="in_exam"
        )
    current = reading.latest_library_attempt(user, case)
    attempt = current or Attempt(user=user, kind=Attempt.Kind.CASE, case=case, started_at=now)
    questions = reading.load_questions(case, user=user, attempt=current, with_history=True)
    return _answer(attempt=attempt, case=case, questions=questions, answers=answers, now=now)


@_case_rows_first
def attempt_answer(
    *,
    attempt: Attempt,
    case: Case,
    answers: Mapping[int, Answer],
    now: datetime | None = None,
    shown_at: datetime | None = None,
) -> Answered:
    """Score and store answers to questions of one case within a quiz or review attempt.

    Refuses (AnswerRefused) after the deadline, once the attempt is finished, and while
    the case belongs to a running exam the attempt is not part of.
    """
    now = now or timezone.now()
    # The lock serialises concurrent submits to this attempt; the unique constraint on
    # (attempt, question) is the backstop. `of` keeps PostgreSQL from trying to lock the
    # nullable side of the join to the quiz.
    attempt = (
        Attempt.objects.select_for_update(of=("self",)).select_related("quiz").get(pk=attempt.pk)
    )
    is_exam = attempt.quiz is not None and attempt.quiz.is_exam
    _refuse_if_closed(attempt, now)
    outside_exams = not is_exam and attempt.kind != Attempt.Kind.REVIEW
    if outside_exams and rules.exam_running(attempt.user, case, now=now):
        raise AnswerRefused(
            "This case is part of an exam you are taking; answer it there.", code="in_exam"
        )
    questions = reading.load_questions(case, user=attempt.user, attempt=attempt, with_history=True)
    return _answer(
        attempt=attempt,
        case=case,
        questions=questions,
        answers=answers,
        now=now,
        shown_at=shown_at,
    )


def _refuse_if_closed(attempt: Attempt, now: datetime) -> None:
    if attempt.is_past_deadline(now):
        raise AnswerRefused(
            "Time is up: the exam closed at "
            f"{timezone.localtime(attempt.deadline):%H:%M:%S}, so this answer was not saved.",
            code="deadline",
        )
    if attempt.is_finished:
        raise AnswerRefused("This attempt is finished; answers can no longer change.", code="done")


@dataclass
class Saved:
    """The outcome of an exam save: the case's questions as now stored, and the attempt."""

    attempt: Attempt
    questions: list[reading.LearnerQuestion]
    committed: bool = False


@_case_rows_first
def exam_save(
    *,
    attempt: Attempt,
    case: Case,
    answers: Mapping[int, Answer],
    flag: bool | None = None,
    commit: bool = False,
    now: datetime | None = None,
) -> Saved:
    """Store an exam's answers to one case as they stand: the autosave and the plain form.

    A non-blank answer is scored and replaces the earlier one; a cleared answer removes
    the stored one, so a reload shows exactly what was last typed. `flag` marks the case
    for review (None leaves it). Progressive cases: only the first uncommitted question
    may change; `commit` locks it and opens the next one. Nothing is stored once the
    deadline has passed or the attempt is finished (AnswerRefused).
    """
    now = now or timezone.now()
    attempt = (
        Attempt.objects.select_for_update(of=("self",)).select_related("quiz").get(pk=attempt.pk)
    )
    _refuse_if_closed(attempt, now)
    if attempt.quiz is None or not attempt.quiz.is_exam:
        raise AnswerRefused("Only exams keep answers as drafts.", code="unknown")
    questions = reading.load_questions(case, user=attempt.user, attempt=attempt, with_history=True)
    by_pk = {q.pk: q for q in questions}
    if set(answers) - set(by_pk):
        raise AnswerRefused("That question does not belong to this case.", code="unknown")
    committed = [pk for pk in attempt.committed if pk in by_pk]
    open_question = None
    if case.progressive:
        open_question = next((q for q in questions if q.pk not in committed), None)
        if any(open_question is None or pk != open_question.pk for pk in answers):
            raise AnswerRefused(
                "A committed answer cannot change, and the questions of this case come "
                "one at a time.",
                code="order",
            )
    given = {pk: a for pk, a in answers.items() if not answer_is_blank(by_pk[pk].question, a)}
    cleared = [pk for pk in answers if pk not in given and by_pk[pk].response is not None]
    if cleared:
        Response.objects.filter(attempt=attempt, question_id__in=cleared).delete()
        for pk in cleared:
            by_pk[pk].response = None
            by_pk[pk].picked = frozenset()
    if given:
        _answer(attempt=attempt, case=case, questions=questions, answers=given, now=now)
    changed: list[str] = []
    if flag is not None and flag != (case.pk in attempt.flagged):
        attempt.flagged = (
            [*attempt.flagged, case.pk] if flag else [pk for pk in attempt.flagged if pk != case.pk]
        )
        changed.append("flagged")
    did_commit = False
    if commit and open_question is not None:
        if open_question.response is None:
            raise AnswerRefused("Answer the question before committing it.", code="blank")
        attempt.committed = [*attempt.committed, open_question.pk]
        changed.append("committed")
        did_commit = True
    if changed:
        attempt.save(update_fields=changed)
    return Saved(attempt=attempt, questions=questions, committed=did_commit)


def _check_answers(
    *,
    attempt: Attempt,
    case: Case,
    questions: list[reading.LearnerQuestion],
    answers: Mapping[int, Answer],
) -> None:
    is_exam = attempt.quiz is not None and attempt.quiz.is_exam
    # A live conference asks one question at a time, in the presenter's order.
    one_at_a_time = attempt.kind in (Attempt.Kind.REVIEW, Attempt.Kind.CONFERENCE)
    by_pk = {q.pk: q for q in questions}
    if set(answers) - set(by_pk):
        raise AnswerRefused("That question does not belong to this case.", code="unknown")
    given = {pk for pk, a in answers.items() if not answer_is_blank(by_pk[pk].question, a)}
    if not given:
        message = (
            "Give an answer before saving." if is_exam else "Give an answer before submitting."
        )
        raise AnswerRefused(message, code="blank")
    for pk in given:
        problem = region_answer_problem(by_pk[pk].question, answers[pk])
        if problem:
            raise AnswerRefused(problem, code="malformed")
    if is_exam or one_at_a_time:
        return
    open_questions = [q for q in questions if q.response is None]
    if case.progressive:
        due = open_questions[0].pk if open_questions else None
        if any(pk != due and by_pk[pk].response is None for pk in given):
            raise AnswerRefused("Answer the questions of this case in order.", code="order")
    elif open_questions and any(q.pk not in given for q in open_questions):
        raise AnswerRefused("Answer every question of this case before submitting.", code="blank")


def _answer(
    *,
    attempt: Attempt,
    case: Case,
    questions: list[reading.LearnerQuestion],
    answers: Mapping[int, Answer],
    now: datetime,
    shown_at: datetime | None = None,
) -> Answered:
    """Score, then write everything in a fixed number of statements.

    A question already answered keeps its first response (a double submit stores one),
    except in a running exam, where a later answer replaces the earlier one until the
    deadline, and in a live conference, until the presenter closes the question (the
    caller refuses answers to a closed one). Blank answers are not stored.
    """
    _check_answers(attempt=attempt, case=case, questions=questions, answers=answers)
    is_exam = attempt.quiz is not None and attempt.quiz.is_exam
    is_review = attempt.kind == Attempt.Kind.REVIEW
    is_conference = attempt.kind == Attempt.Kind.CONFERENCE
    replaceable = is_exam or is_conference
    new: list[Response] = []
    changed: list[Response] = []
    picks: dict[int, list[Choice]] = {}
    for line in questions:
        question = line.question
        answer = answers.get(question.pk)
        if answer is None or answer_is_blank(question, answer):
            continue
        response = line.response
        if response is not None and not replaceable:
            continue  # already answered: the first answer stands
        outcome = score_answer(question, answer)
        if response is None:
            response = Response(question=question, user_id=attempt.user_id, case=case)
            response.is_first_attempt = not is_review and not line.seen_before
            new.append(response)
        else:
            changed.append(response)
        response.answer_text = _answer_text(question, answer)
        response.score = outcome.score
        response.method = outcome.method
        response.judgement = outcome.judgement[:300]
        response.answered_at = now
        response.shown_at = shown_at
        response.time_spent_ms = (
            max(0, int((now - shown_at).total_seconds() * 1000)) if shown_at else None
        )
        # Field checks only: the foreign keys were read in this transaction, and checking
        # them again would cost a query per row.
        response.clean_fields(exclude=["attempt", "question", "user", "case", "scored_by"])
        chosen = [c for c in question.choices.all() if c.pk in answer.choice_ids]
        picks[question.pk] = chosen
        line.response = response
        line.picked = frozenset(c.pk for c in chosen)

    complete = rules.attempt_reveal(
        (q.pk for q in questions), (q.pk for q in questions if q.response is not None)
    )
    if attempt.kind == Attempt.Kind.CASE:
        # A library attempt ends with its last answer; its score is known here already.
        if complete and attempt.finished_at is None:
            attempt.finished_at = now
        if complete:
            attempt.score = scoring.mean_score(
                [q.response.score for q in questions if q.response is not None],
                [q.question.max_mark for q in questions if q.response is not None],
            )
    if attempt.pk is None:
        attempt.clean_fields(exclude=["user", "quiz", "case"])
        attempt.save()
    elif attempt.kind == Attempt.Kind.CASE and new:
        attempt.save(update_fields=["finished_at", "score"])

    for response in new:
        response.attempt = attempt
    Response.objects.bulk_create(new)
    if changed:
        Response.objects.bulk_update(
            changed,
            [
                "answer_text",
                "score",
                "method",
                "judgement",
                "answered_at",
                "shown_at",
                "time_spent_ms",
            ],
        )
        Response.choices.through.objects.filter(response__in=changed).delete()
    through = Response.choices.through
    Response.choices.through.objects.bulk_create(
        through(response_id=r.pk, choice_id=c.pk)
        for r in new + changed
        for c in picks[r.question_id]
    )

    # Exams and conferences make their cards once the answer is final (finish, close).
    if not is_exam and not is_review and not is_conference:
        carded = {q.pk for q in questions if q.has_card}
        _review_cards_after_misses(
            responses=[r for r in new if r.question_id not in carded], now=now
        )
    if attempt.kind == Attempt.Kind.QUIZ and not is_exam:
        attempt.score = _attempt_mean(attempt)
        attempt.save(update_fields=["score"])
    return Answered(attempt=attempt, questions=questions, stored=new + changed)


def _attempt_mean(attempt: Attempt) -> float | None:
    rows = list(attempt.responses.values_list("score", "question__max_mark"))
    return scoring.mean_score([score for score, _ in rows], [mark for _, mark in rows])


def _review_cards_after_misses(*, responses: Iterable[Response], now: datetime) -> None:
    """Missed questions (score < 1) enter the review queue, scheduled by FSRS."""
    cards = []
    for response in responses:
        if response.score is None or response.score >= 1:
            continue
        step = scheduling.review(None, score=response.score, at=now)
        cards.append(
            ReviewCard(
                user_id=response.user_id,
                question_id=response.question_id,
                due=step.due,
                state=step.state,
                reviews=1,
                lapses=1 if step.lapsed else 0,
                last_reviewed_at=now,
            )
        )
    # A card made meanwhile by another answer to the same question wins: one per question.
    ReviewCard.objects.bulk_create(cards, ignore_conflicts=True)


def conference_question_close(
    *, question_id: int, attempt_ids: Iterable[int], now: datetime
) -> None:
    """A live question is closed, its answers final: each miss enters that learner's queue."""
    responses = Response.objects.filter(
        attempt_id__in=attempt_ids,
        attempt__kind=Attempt.Kind.CONFERENCE,
        question_id=question_id,
    ).only("user_id", "question_id", "score")
    _review_cards_after_misses(responses=list(responses), now=now)


def _review_card_after_miss(*, response: Response, now: datetime) -> None:
    if ReviewCard.objects.filter(user=response.user_id, question=response.question_id).exists():
        return
    _review_cards_after_misses(responses=[response], now=now)


@transaction.atomic
def attempt_finish(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Close a quiz attempt: unanswered questions score 0, the score is the mean."""
    now = now or timezone.now()
    attempt = (
        Attempt.objects.select_for_update(of=("self",)).select_related("quiz").get(pk=attempt.pk)
    )
    if attempt.is_finished:
        return attempt
    if attempt.quiz is not None:
        answered = set(attempt.responses.values_list("question_id", flat=True))
        missing = (
            Question.objects.filter(case__quiz_items__quiz=attempt.quiz)
            .exclude(pk__in=answered)
            .select_related("case")
        )
        # Whether the learner met the question before follows the same rule as an answer.
        seen = set(
            Response.objects.filter(user=attempt.user_id, question__in=missing).values_list(
                "question_id", flat=True
            )
        )
        # One row per question keeps item statistics honest: an unanswered question counts as
        # 0 in this attempt, in its own statistics as in every other question's rest score.
        Response.objects.bulk_create(
            Response(
                attempt=attempt,
                question=question,
                user=attempt.user,
                case=question.case,
                score=0.0,
                method=Response.Method.AUTO,
                judgement="Not answered.",
                is_first_attempt=question.pk not in seen,
                answered_at=now,
            )
            for question in missing
        )
        if attempt.quiz.is_exam:
            for response in attempt.responses.select_related("question"):
                _review_card_after_miss(response=response, now=now)
    # An exam finished by its deadline ends at the deadline, not when someone next looks.
    ended = min(now, attempt.deadline) if attempt.deadline else now
    attempt.finished_at = ended
    attempt.score = _attempt_mean(attempt)
    attempt.save(update_fields=["finished_at", "score"])
    return attempt


def attempt_close_if_expired(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Finish an exam whose deadline has passed; anything else is returned unchanged."""
    if not attempt.is_finished and attempt.is_past_deadline(now):
        return attempt_finish(attempt=attempt, now=now)
    return attempt


@transaction.atomic
def response_self_assess(*, response: Response, verdict: str, by: Any) -> Response:
    """The learner judges an answer the machine could not: right, partly or wrong."""
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.user_id != by.pk:
        raise PermissionDenied("Only the learner who answered can assess the answer.")
    if response.method != Response.Method.PENDING:
        raise ValidationError("This answer has already been scored.")
    try:
        outcome = scoring.self_assessed(verdict)
    except ValueError as error:
        raise ValidationError("Choose right, partly or wrong.") from error
    response.score = outcome.score
    response.method = Response.Method.SELF
    response.judgement = f"{response.judgement} {outcome.judgement}".strip()[:300]
    response.scored_by = by
    response.save(update_fields=["score", "method", "judgement", "scored_by"])
    _rescore_attempt(response.attempt_id)
    now = timezone.now()
    if response.attempt.kind == Attempt.Kind.REVIEW:
        card = ReviewCard.objects.filter(user=by, question_id=response.question_id).first()
        if card is not None:
            review_card_update(card=card, score=response.score, now=now)
    else:
        # In a running exam the learner may still change the answer: cards come at finish.
        quiz = response.attempt.quiz
        if quiz is None or not quiz.is_exam or response.attempt.is_finished:
            _review_card_after_miss(response=response, now=now)
    return response


@transaction.atomic
def response_override(*, response: Response, score: float, by: Any, note: str = "") -> Response:
    """Faculty replace a response's score (the grading queue calls this)."""
    if not roles.is_faculty(by):
        raise PermissionDenied("Only faculty can override a score.")
    if not 0.0 <= score <= 1.0:
        raise ValidationError("A score is between 0 and 1.")
    response = Response.objects.select_for_update().get(pk=response.pk)
    audit.response_scored(response, score=score, by=by, note=note)
    response.score = score
    response.method = Response.Method.OVERRIDE
    judged = f"Score set to {score:g} by faculty" + (f": {note.strip()}" if note.strip() else ".")
    response.judgement = judged[:300]
    response.scored_by = by
    response.save(update_fields=["score", "method", "judgement", "scored_by"])
    _rescore_attempt(response.attempt_id)
    return response


def _rescore_attempt(attempt_pk: int) -> None:
    attempt = Attempt.objects.get(pk=attempt_pk)
    if attempt.is_finished or attempt.kind == Attempt.Kind.QUIZ:
        attempt.score = _attempt_mean(attempt)
        attempt.save(update_fields=["score"])


@transaction.atomic
def review_attempt_for(*, user: Any, question: Question) -> Attempt:
    """The learner's open review session, or a new one if this question was seen in it."""
    attempt = (
        Attempt.objects.select_for_update()
        .unfinished()
        .filter(user=user, kind=Attempt.Kind.REVIEW)
        .first()
    )
    if attempt is not None and attempt.responses.filter(question=question).exists():
        # One response per question per attempt: a card due again closes the session.
        attempt.finished_at = timezone.now()
        attempt.score = _attempt_mean(attempt)
        attempt.save(update_fields=["finished_at", "score"])
        attempt = None
    if attempt is None:
        attempt = Attempt.objects.create(user=user, kind=Attempt.Kind.REVIEW)
    return attempt


@transaction.atomic
def review_answer(*, card: ReviewCard, answer: Answer, now: datetime | None = None) -> Response:
    """Answer a due review question: store the response and reschedule the card."""
    now = now or timezone.now()
    card = ReviewCard.objects.select_for_update().select_related("question__case").get(pk=card.pk)
    attempt = review_attempt_for(user=card.user, question=card.question)
    [response] = attempt_answer(
        attempt=attempt, case=card.question.case, answers={card.question_id: answer}, now=now
    ).stored
    if response.score is not None:
        review_card_update(card=card, score=response.score, now=now)
    return response


def review_card_update(*, card: ReviewCard, score: float, now: datetime) -> ReviewCard:
    step = scheduling.review(card.state or None, score=score, at=now)
    card.state = step.state
    card.due = step.due
    card.reviews += 1
    card.lapses += 1 if step.lapsed else 0
    card.last_reviewed_at = now
    card.save(update_fields=["state", "due", "reviews", "lapses", "last_reviewed_at"])
    return card


@transaction.atomic
def comment_create(*, case: Case, author: Any, body: str) -> Comment:
    """Post a comment; an empty or over-long one is refused with a message saying which."""
    body = body.strip()
    limit = Comment._meta.get_field("body").max_length or 0  # the model holds the limit
    if not body:
        raise ValidationError("Write something before posting: the comment is empty.")
    if len(body) > limit:
        raise ValidationError(
            f"A comment can be at most {limit:,} characters; this one has {len(body):,}. "
            "Shorten it and post again (your text is kept below)."
        )
    comment = Comment(case=case, author=author, body=body)
    comment.full_clean()
    comment.save()
    return comment


def answers_from_post(data: Any) -> dict[int, Answer]:
    """Read every `q<pk>` field: digits as choice ids (several for multiple), the text as typed.

    Which of the two counts depends on the question's kind, decided where the questions
    are loaded (`answer_is_blank`, `score_answer`); unknown questions are refused there.
    """
    answers: dict[int, Answer] = {}
    for key in data:
        if not (key.startswith("q") and key[1:].isdigit()):
            continue
        values = [str(v) for v in data.getlist(key)]
        ids = frozenset(int(v) for v in values if v.isdigit() and len(v) < 12)
        answers[int(key[1:])] = Answer(choice_ids=ids, text=(values[-1] if values else "")[:2000])
    return answers
