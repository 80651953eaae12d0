"""Writes behind a live session: start, join, answer, and the presenter's steps.

Answers go through quiz.services.attempt_answer into the participant's conference
attempt, so they are scored by the same rules and stored as ordinary responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from live import state
from live.models import LiveItem, LiveSession, Participant, new_code
from quiz import services as quiz_services
from quiz.models import Attempt, Program, Quiz
from quiz.reading import LearnerQuestion
from teachingfile import roles
from teachingfile.models import Case, Question

Step = LiveSession.Step


class LiveRefused(Exception):
    """A request the session's state does not allow; the message is shown as is."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@transaction.atomic
def session_start(
    *,
    presenter: Any,
    title: str,
    cases: Sequence[Case],
    quiz: Quiz | None = None,
    program: Program | None = None,
    now: datetime | None = None,
) -> LiveSession:
    """A new session over these cases, in this order, waiting in the lobby."""
    if not roles.is_faculty(presenter):
        raise PermissionDenied("Only faculty present a live session.")
    questions = list(
        Question.objects.filter(case__in=[c.pk for c in cases])
        .order_by("order", "id")
        .values_list("pk", "case_id")
    )
    rank = {case.pk: n for n, case in enumerate(cases)}
    plan = [[q, c] for q, c in sorted(questions, key=lambda row: rank[row[1]])]
    if not plan:
        raise ValidationError("Choose cases that have questions.")
    code = new_code()
    while LiveSession.objects.filter(code=code).exists():
        code = new_code()
    session = LiveSession(
        code=code,
        title=title.strip() or (quiz.title if quiz else "Case conference"),
        presenter=presenter,
        program=program,
        quiz=quiz,
        plan=plan,
        created_at=now or timezone.now(),
    )
    session.full_clean()
    session.save()
    LiveItem.objects.bulk_create(
        LiveItem(session=session, case=case, order=n) for n, case in enumerate(cases)
    )
    return session


def participant_join(*, code: str, user: Any, now: datetime | None = None) -> Participant:
    """Join by code (again: the same participant); refuses unknown and finished sessions."""
    now = now or timezone.now()
    session = LiveSession.objects.filter(code=code).first()
    if session is None:
        raise LiveRefused(
            "No live session has that code. Check the code on the screen.", status=422
        )
    if session.is_over(now):
        raise LiveRefused("That session has ended; its code no longer works.", status=422)
    if not roles.is_resident(user):
        raise PermissionDenied("Residents answer in a live session.")
    existing = Participant.objects.filter(session=session, user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            attempt = Attempt(user=user, kind=Attempt.Kind.CONFERENCE, started_at=now)
            attempt.full_clean(exclude=["quiz", "case"])
            attempt.save()
            participant = Participant.objects.create(
                session=session, user=user, attempt=attempt, joined_at=now
            )
    except IntegrityError:  # joined twice at once from two tabs: the first one stands
        return Participant.objects.get(session=session, user=user)
    state.remember_member(participant)
    return participant


def _for_answer(session_pk: int) -> LiveSession:
    """Read the session, holding it against a presenter's step until the answer is stored.

    PostgreSQL: FOR SHARE lets answers run side by side while a step (FOR UPDATE) waits
    for those in flight, so an answer is either in before the close or refused after it.
    SQLite's transactions begin IMMEDIATE and already run one writer at a time.
    """
    if connection.vendor == "postgresql":
        sql = f"SELECT * FROM {LiveSession._meta.db_table} WHERE id = %s FOR SHARE"  # noqa: S608
        return next(iter(LiveSession.objects.raw(sql, [session_pk])))
    return LiveSession.objects.get(pk=session_pk)


@dataclass
class Stored:
    """An answer just stored: the case and its questions with this attempt's responses."""

    attempt: Attempt
    case: Case
    questions: list[LearnerQuestion]


@transaction.atomic
def live_answer(
    *,
    session_pk: int,
    attempt_id: int,
    question_id: int,
    answer: quiz_services.Answer,
    now: datetime | None = None,
) -> Stored:
    """Store (or change) an answer to the open question; 409 once it is closed."""
    now = now or timezone.now()
    session = _for_answer(session_pk)
    if session.is_over(now):
        raise LiveRefused("This session has ended; answers are no longer taken.")
    if session.step != Step.OPEN or session.question_id != question_id:
        raise LiveRefused("This question is closed; your answer was not saved.")
    case_id = session.plan[session.position][1]
    # The whole row: its version and update time key the cached questions (quiz.reading).
    case = Case.objects.get(pk=case_id)
    attempt = Attempt.objects.get(pk=attempt_id)
    try:
        answered = quiz_services.attempt_answer(
            attempt=attempt,
            case=case,
            answers={question_id: answer},
            now=now,
            shown_at=session.step_at,
        )
    except quiz_services.AnswerRefused as refused:
        status = 422 if refused.code in {"blank", "unknown"} else 409
        raise LiveRefused(refused.message, status=status) from refused
    return Stored(attempt=answered.attempt, case=case, questions=answered.questions)


def _close_question(session: LiveSession, now: datetime) -> None:
    question_id = session.question_id
    if question_id is not None:
        quiz_services.conference_question_close(
            question_id=question_id,
            attempt_ids=Participant.objects.filter(session=session).values("attempt_id"),
            now=now,
        )


ACTIONS = ("next", "previous", "end")


@transaction.atomic
def session_step(
    *, session: LiveSession, action: str, by: Any, now: datetime | None = None
) -> LiveSession:
    """The presenter's clicker: next step, back to the previous question, or end.

    Next walks each question through open -> closed -> distribution -> reveal, then opens
    the next question. Back shows the previous question's reveal; a question once opened
    is never opened again, so its answers stay final.
    """
    now = now or timezone.now()
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.presenter_id != by.pk and not getattr(by, "is_superuser", False):
        raise PermissionDenied("Only the presenter drives the session.")
    if action not in ACTIONS:
        raise LiveRefused("Unknown step.", status=422)
    if session.step == Step.ENDED:
        raise LiveRefused("This session has ended.")
    last = len(session.plan) - 1
    before = (session.position, session.step)
    if action == "end":
        if session.step == Step.OPEN:
            _close_question(session, now)
        session.step = Step.ENDED
        session.ended_at = now
        for attempt in Attempt.objects.filter(live_participant__session=session):
            quiz_services.attempt_finish(attempt=attempt, now=now)
    elif action == "previous":
        if session.position > 0:
            if session.step == Step.OPEN:
                _close_question(session, now)
            session.position -= 1
            session.step = Step.REVEAL
    elif session.step == Step.LOBBY:
        session.position, session.furthest, session.step = 0, 0, Step.OPEN
    elif session.step == Step.OPEN:
        _close_question(session, now)
        session.step = Step.CLOSED
    elif session.step == Step.CLOSED:
        session.step = Step.DISTRIBUTION
    elif session.step == Step.DISTRIBUTION:
        session.step = Step.REVEAL
    elif session.position < last:
        session.position += 1
        if session.position <= session.furthest:
            session.step = Step.REVEAL  # run before: shown again, never reopened
        else:
            session.furthest = session.position
            session.step = Step.OPEN
    if (session.position, session.step) == before:
        return session  # nothing to do (first question's back, last reveal's next)
    session.step_at = now
    session.version += 1
    session.save(update_fields=["position", "furthest", "step", "step_at", "version", "ended_at"])
    state.publish(session)
    return session
