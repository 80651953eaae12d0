"""Small worlds for the browser tests, built with factories (one tiny PNG, no seed render)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quiz.models import Cohort
from teachingfile.models import Case, Figure
from teachingfile.services import figure_set_image
from tests.factories import (
    AcceptedAnswerFactory,
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    png_bytes,
)


def tiny_png(text: str = "R") -> bytes:
    return png_bytes(70, (160, 120), text=text)


@dataclass
class QuizScene:
    quiz: Any
    cases: list[Case]


def answerable_case(title: str = "45-year-old woman with a painful calf") -> Case:
    """A published case with an image, a single-best-answer and a free-text question."""
    case = CaseFactory(
        unknown_title=title,
        presentation="Painful calf for two months; on dialysis.",
        known_title="Calciphylaxis",
        diagnosis="Calciphylaxis",
        findings="Net-like calcification of small vessels.",
    )
    figure = Figure(case=case, order=1, label="Fig. 1", alt_text="Radiograph of the calf")
    figure_set_image(figure=figure, data=tiny_png(), filename="calf.png")
    first = QuestionFactory(case=case, order=1, prompt="Which finding is abnormal?")
    ChoiceFactory(question=first, order=0, text="Vascular calcification", is_correct=True)
    ChoiceFactory(question=first, order=1, text="Normal soft tissues")
    second = QuestionFactory(case=case, order=2, kind="free_text", prompt="What is your diagnosis?")
    AcceptedAnswerFactory(question=second, text="calciphylaxis")
    return case


def assigned_quiz(cohort: Cohort, *, size: int = 2, mode: str = "practice") -> QuizScene:
    cases = [answerable_case(f"Patient {i + 1} with calf pain") for i in range(size)]
    quiz = QuizFactory(title="Soft-tissue calcification", mode=mode, is_open=False)
    for order, case in enumerate(cases, start=1):
        QuizItemFactory(quiz=quiz, case=case, order=order)
    AssignmentFactory(quiz=quiz, cohort=cohort)
    return QuizScene(quiz=quiz, cases=cases)
