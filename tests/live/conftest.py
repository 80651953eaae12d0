"""A live session over two cases: one single-answer question, then a case with two."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.test import Client

from live import services
from live.models import LiveSession
from quiz.models import Cohort
from teachingfile.models import Case, Choice, Question
from tests.factories import (
    AcceptedAnswerFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    make_live_session,
)


@dataclass
class Room:
    session: LiveSession
    first: Case
    second: Case
    q1: Question
    q2: Question
    q3: Question
    right: Choice
    wrong: Choice

    def refresh(self) -> LiveSession:
        self.session.refresh_from_db()
        return self.session

    def step(self, *actions: str) -> LiveSession:
        for action in actions:
            self.session = services.session_step(
                session=self.session, action=action, by=self.session.presenter
            )
        return self.session


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def room(faculty: AbstractUser, cohort: Cohort) -> Room:
    first = CaseFactory(unknown_title="Knee pain in a runner", presentation="Pain for weeks.")
    q1 = QuestionFactory(case=first, prompt="Which finding?", explanation="Secret explanation one.")
    right = ChoiceFactory(question=q1, order=0, text="Calcified mass", is_correct=True)
    wrong = ChoiceFactory(question=q1, order=1, text="Joint effusion", rationale="Secret nope.")
    second = CaseFactory(unknown_title="Back pain at sixty", presentation="Back pain.")
    q2 = QuestionFactory(case=second, order=1, prompt="Where?", explanation="Secret two.")
    ChoiceFactory(question=q2, order=0, text="Spine", is_correct=True)
    ChoiceFactory(question=q2, order=1, text="Hip")
    q3 = QuestionFactory(
        case=second,
        order=2,
        kind=Question.Kind.FREE_TEXT,
        prompt="Diagnosis?",
        explanation="Secret three.",
    )
    AcceptedAnswerFactory(question=q3, text="calciphylaxis")
    session = make_live_session(faculty, [first, second], program=cohort.program)
    return Room(session, first, second, q1, q2, q3, right, wrong)


def htmx(flag: bool) -> dict[str, str]:
    return {"HX-Request": "true"} if flag else {}


def join(client: Client, user: AbstractUser, room: Room) -> Any:
    client.force_login(user)
    return client.post("/live/join/", {"code": room.session.code})
