"""Writes behind the quiz: attempts, answers, self-assessment, overrides, review cards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quiz import scheduling, scoring
from quiz.models import Attempt, Quiz, Response, ReviewCard
from teachingfile import roles
from teachingfile.models import Case, Comment, Question


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

    @property
    def is_blank(self) -> bool:
        return not self.choice_ids and not self.text.strip()


def score_answer(question: Question, answer: Answer) -> scoring.Outcome:
    """Score one answer; the question must come with its choices and accepted answers."""
    if question.kind == Question.Kind.FREE_TEXT:
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


def _answer_text(question: Question, answer: Answer) -> str:
    # Choice answers are kept as letters too, so that a CSV export reads without joins.
    if question.is_choice:
        letters = [c.letter for c in question.choices.all() if c.pk in answer.choice_ids]
        return ", ".join(letters)
    return answer.text.strip()[:2000]


def exam_in_progress_for(*, user: Any, case: Case, now: datetime | None = None) -> bool:
    """True while the learner has an unfinished, running exam that contains this case."""
    now = now or timezone.now()
    return Attempt.objects.filter(
        user=user,
        kind=Attempt.Kind.QUIZ,
        quiz__mode=Quiz.Mode.EXAM,
        quiz__items__case=case,
        finished_at__isnull=True,
        deadline__gt=now,
    ).exists()


@transaction.atomic
def case_attempt_start(*, user: Any, case: Case) -> Attempt:
    """A fresh library attempt at one case (the learner chose to try it again)."""
    attempt = Attempt(user=user, kind=Attempt.Kind.CASE, case=case)
    attempt.full_clean()
    attempt.save()
    return attempt


@transaction.atomic
def case_attempt_current(*, user: Any, case: Case) -> Attempt:
    """The learner's latest library attempt at this case, started now if there is none."""
    # Serialise on the case row so that a double submit cannot start two attempts.
    Case.objects.select_for_update().filter(pk=case.pk).exists()
    attempt = Attempt.objects.filter(user=user, kind=Attempt.Kind.CASE, case=case).first()
    return attempt or case_attempt_start(user=user, case=case)


@transaction.atomic
def quiz_attempt_start(*, user: Any, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Resume the learner's unfinished attempt at this quiz, or start one.

    An exam's deadline is fixed here, from the quiz's time limit at the moment of start.
    """
    now = now or timezone.now()
    # Lock the quiz row: two clicks on "Start" must not open two attempts.
    Quiz.objects.select_for_update().filter(pk=quiz.pk).exists()
    current = Attempt.objects.filter(
        user=user, kind=Attempt.Kind.QUIZ, quiz=quiz, finished_at__isnull=True
    ).first()
    if current is not None:
        if current.is_past_deadline(now):
            attempt_finish(attempt=current, now=now)
        else:
            return current
    attempt = Attempt(user=user, kind=Attempt.Kind.QUIZ, quiz=quiz, started_at=now)
    if quiz.is_exam and quiz.time_limit:
        attempt.deadline = now + quiz.time_limit
    attempt.full_clean()
    attempt.save()
    return attempt


def _questions_with_lines(case: Case) -> list[Question]:
    return list(case.questions.prefetch_related("choices", "accepted_answers"))


@transaction.atomic
def attempt_answer(
    *,
    attempt: Attempt,
    case: Case,
    answers: Mapping[int, Answer],
    now: datetime | None = None,
    shown_at: datetime | None = None,
) -> list[Response]:
    """Score and store answers to questions of one case within an attempt.

    A question already answered keeps its first response (a double submit stores one),
    except in a running exam, where a later answer replaces the earlier one until the
    deadline. Refuses (AnswerRefused) after the deadline or once the attempt is finished,
    and in a progressive case any question before the one that is due.
    """
    now = now or timezone.now()
    # The lock serialises concurrent submits to this attempt; the unique constraint on
    # (attempt, question) is the backstop.
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    is_exam = attempt.quiz is not None and attempt.quiz.is_exam
    if attempt.is_past_deadline(now):
        raise AnswerRefused(
            "Time is up: the exam closed at "
            f"{timezone.localtime(attempt.deadline):%H:%M:%S}, so this answer was not saved.",
            code="deadline",
        )
    if attempt.is_finished:
        raise AnswerRefused("This attempt is finished; answers can no longer change.", code="done")
    outside_exams = not is_exam and attempt.kind != Attempt.Kind.REVIEW
    if outside_exams and exam_in_progress_for(user=attempt.user, case=case, now=now):
        raise AnswerRefused(
            "This case is part of an exam you are taking; answer it there.", code="in_exam"
        )

    questions = {q.pk: q for q in _questions_with_lines(case)}
    unknown = set(answers) - set(questions)
    if unknown:
        raise AnswerRefused("That question does not belong to this case.", code="unknown")
    existing = {
        r.question_id: r
        for r in Response.objects.select_for_update().filter(
            attempt=attempt, question_id__in=list(questions)
        )
    }
    if case.progressive and not is_exam and attempt.kind != Attempt.Kind.REVIEW:
        due = next((pk for pk in questions if pk not in existing), None)
        for pk in answers:
            if pk not in existing and pk != due:
                raise AnswerRefused("Answer the questions of this case in order.", code="order")

    earlier = set(
        Response.objects.filter(user=attempt.user, question_id__in=list(answers))
        .exclude(attempt=attempt)
        .values_list("question_id", flat=True)
    )
    stored: list[Response] = []
    for pk, answer in answers.items():
        question = questions[pk]
        response = existing.get(pk)
        if response is not None and not is_exam:
            continue  # already answered: the first answer stands
        outcome = score_answer(question, answer)
        if response is None:
            response = Response(attempt=attempt, question=question, user=attempt.user, case=case)
            response.is_first_attempt = attempt.kind != Attempt.Kind.REVIEW and pk not in earlier
        response.answer_text = _answer_text(question, answer)
        response.score = outcome.score
        response.method = outcome.method
        response.judgement = outcome.judgement[:300]
        response.answered_at = now
        response.shown_at = shown_at
        if shown_at is not None:
            response.time_spent_ms = max(0, int((now - shown_at).total_seconds() * 1000))
        response.full_clean(exclude=["choices"])
        response.save()
        response.choices.set([c for c in question.choices.all() if c.pk in answer.choice_ids])
        stored.append(response)

    if not is_exam:
        for response in stored:
            if attempt.kind != Attempt.Kind.REVIEW and response.score is not None:
                _review_card_after_miss(response=response, now=now)
    if attempt.kind == Attempt.Kind.CASE and len(existing) + len(stored) >= len(questions):
        attempt.finished_at = attempt.finished_at or now
        attempt.score = _attempt_mean(attempt)
        attempt.save(update_fields=["finished_at", "score"])
    elif attempt.kind == Attempt.Kind.QUIZ and not is_exam:
        attempt.score = _attempt_mean(attempt)
        attempt.save(update_fields=["score"])
    return stored


def _attempt_mean(attempt: Attempt) -> float | None:
    return scoring.mean_score(list(attempt.responses.values_list("score", flat=True)))


def _review_card_after_miss(*, response: Response, now: datetime) -> None:
    """A missed question (score < 1) enters the review queue, scheduled by FSRS."""
    if response.score is None or response.score >= 1:
        return
    if ReviewCard.objects.filter(user=response.user, question=response.question).exists():
        return
    step = scheduling.review(None, score=response.score, at=now)
    ReviewCard.objects.create(
        user=response.user,
        question=response.question,
        due=step.due,
        state=step.state,
        reviews=1,
        lapses=1 if step.lapsed else 0,
        last_reviewed_at=now,
    )


@transaction.atomic
def attempt_finish(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Close a quiz attempt: unanswered questions score 0, the score is the mean."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if attempt.is_finished:
        return attempt
    if attempt.quiz is not None:
        answered = set(attempt.responses.values_list("question_id", flat=True))
        missing = (
            Question.objects.filter(case__quiz_items__quiz=attempt.quiz)
            .exclude(pk__in=answered)
            .select_related("case")
        )
        # One row per question keeps item statistics honest: an unanswered question counts.
        Response.objects.bulk_create(
            Response(
                attempt=attempt,
                question=question,
                user=attempt.user,
                case=question.case,
                score=0.0,
                method=Response.Method.AUTO,
                judgement="Not answered.",
                is_first_attempt=False,
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
        .filter(user=user, kind=Attempt.Kind.REVIEW, finished_at__isnull=True)
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
    )
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
    comment = Comment(case=case, author=author, body=body.strip())
    comment.full_clean()
    comment.save()
    return comment


def answers_from_post(questions: Iterable[Question], data: Any) -> dict[int, Answer]:
    """Read `q<pk>` fields for these questions: choice ids (several for multiple) or text."""
    answers: dict[int, Answer] = {}
    for question in questions:
        key = f"q{question.pk}"
        if key not in data:
            continue
        if question.is_choice:
            ids = frozenset(int(v) for v in data.getlist(key) if str(v).isdigit())
            answers[question.pk] = Answer(choice_ids=ids)
        else:
            answers[question.pk] = Answer(text=str(data.get(key, ""))[:2000])
    return answers
