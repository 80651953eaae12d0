"""The few columns of a session that every poll needs, kept in the shared cache.

Every change to a session bumps its `version` in the database and, once the transaction
commits, writes the new state here. A poll compares the version its page shows (sent as
If-None-Match) with this one and gets a bodiless 304 while nothing has changed.

The database stays the truth: an entry lives for a second at most, so a cache that is not
shared between processes (the local-memory default of `make run`) still converges within
a second when several processes serve one session; with Redis (REDIS_URL) every process
sees each change at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from live.models import SESSION_LIFETIME, LiveSession, Participant

STATE_SECONDS = 1
MEMBER_SECONDS = 60 * 60 * 12
# How often pages ask; with the 304s above a poll costs little (docs/live.md).
PARTICIPANT_POLL_MS = 700
PRESENTER_POLL_MS = 500


@dataclass(frozen=True)
class State:
    pk: int
    code: str
    version: int
    step: str
    position: int
    count: int
    question_id: int | None
    case_id: int | None
    presenter_id: int
    program_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, session: LiveSession) -> State:
        plan = session.plan
        current = plan[session.position] if 0 <= session.position < len(plan) else None
        return cls(
            pk=session.pk,
            code=session.code,
            version=session.version,
            step=session.step,
            position=session.position,
            count=len(plan),
            question_id=current[0] if current else None,
            case_id=current[1] if current else None,
            presenter_id=session.presenter_id,
            program_id=session.program_id,
            created_at=session.created_at,
        )

    def is_over(self, now: datetime | None = None) -> bool:
        return self.step == LiveSession.Step.ENDED or (
            (now or timezone.now()) >= self.created_at + SESSION_LIFETIME
        )

    @property
    def is_open(self) -> bool:
        return self.step == LiveSession.Step.OPEN and not self.is_over()

    @property
    def shows_distribution(self) -> bool:
        return self.step in (LiveSession.Step.DISTRIBUTION, LiveSession.Step.REVEAL)

    @property
    def is_revealed(self) -> bool:
        return self.step == LiveSession.Step.REVEAL


def _state_key(code: str) -> str:
    return f"live:state:{code}"


def _member_key(session_pk: int, user_pk: Any) -> str:
    return f"live:member:{session_pk}:{user_pk}"


def load(code: str) -> State | None:
    """The session's state by join code, from the cache or (at most once a second) the DB."""
    key = _state_key(code)
    state = cache.get(key)
    if state is None:
        session = LiveSession.objects.filter(code=code).first()
        if session is None:
            return None
        state = State.of(session)
        cache.set(key, state, STATE_SECONDS)
    return state


def publish(session: LiveSession) -> None:
    """Put the session's new state in the cache once (and only if) its change commits."""
    state = State.of(session)
    key = _state_key(state.code)
    # Dropped now, so this process reads the new row at once; set again after the commit,
    # which overwrites an old row another process may have cached meanwhile.
    cache.delete(key)
    transaction.on_commit(lambda: cache.set(key, state, STATE_SECONDS))


def attempt_of(state: State, user: Any) -> int | None:
    """The attempt id of this user's participation, or None if they have not joined."""
    key = _member_key(state.pk, user.pk)
    attempt_id = cache.get(key)
    if attempt_id is None:
        attempt_id = (
            Participant.objects.filter(session_id=state.pk, user=user)
            .values_list("attempt_id", flat=True)
            .first()
        )
        if attempt_id is None:
            return None
        cache.set(key, attempt_id, MEMBER_SECONDS)
    return int(attempt_id)


def remember_member(participant: Participant) -> None:
    key = _member_key(participant.session_id, participant.user_id)
    attempt_id = participant.attempt_id
    transaction.on_commit(lambda: cache.set(key, attempt_id, MEMBER_SECONDS))
