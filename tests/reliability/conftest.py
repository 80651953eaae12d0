"""One real gunicorn server per session for the reliability tests (see liveprocess.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.liveprocess import LiveProcess

SETUP = """
from teachingfile import roles
from tests.factories import (
    CaseFactory, ChoiceFactory, QuestionFactory, QuizFactory, QuizItemFactory, make_user,
)
case = CaseFactory()
first = QuestionFactory(case=case, order=1)
second = QuestionFactory(case=case, order=2)
right = ChoiceFactory(question=first, is_correct=True)
wrong = ChoiceFactory(question=second)
ChoiceFactory(question=second, is_correct=True)
for i in range(6):
    make_user(f"learner{i}", roles.RESIDENT)
quiz = QuizFactory(is_open=True)
items = []
for order in range(1, 7):
    item_case = CaseFactory()
    question = QuestionFactory(case=item_case)
    choice = ChoiceFactory(question=question, is_correct=True)
    ChoiceFactory(question=question)
    QuizItemFactory(quiz=quiz, case=item_case, order=order)
    items.append([question.pk, choice.pk])
from datetime import timedelta
from quiz.models import Quiz
from tests.factories import AssignmentFactory, CohortFactory, MembershipFactory
exam = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=5), is_open=False)
cohort = CohortFactory()
AssignmentFactory(quiz=exam, cohort=cohort)
MembershipFactory(cohort=cohort, resident=make_user("examinee", roles.RESIDENT))
exam_items = []
for order in (1, 2):
    item_case = CaseFactory()
    question = QuestionFactory(case=item_case)
    exam_items.append([question.pk, ChoiceFactory(question=question, is_correct=True).pk])
    QuizItemFactory(quiz=exam, case=item_case, order=order)
print(json.dumps({
    "exam": exam.pk, "exam_items": exam_items,
    "case": case.public_id, "first": first.pk, "second": second.pk,
    "right": right.pk, "wrong": wrong.pk, "quiz": quiz.pk, "items": items,
}))
"""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveProcess, dict]]:
    """Migrated once, seeded once; tests use their own users and rows within it."""
    live = LiveProcess(Path(tmp_path_factory.mktemp("live-var")))
    live.migrate()
    data = live.run_script(SETUP)
    live.start(workers=3, threads=4)
    try:
        yield live, data
    finally:
        live.stop()
