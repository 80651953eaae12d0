"""What the case page shows one learner in one attempt, loaded in a fixed number of queries.

This is the single place that decides what is earned: the form, per-question feedback,
and the full reveal. Templates only render what these objects hold, so nothing of the
reveal can reach a page (or a URL in it) before the learner is entitled to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, OuterRef, Subquery

from quiz.models import Attempt, Response
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    Choice,
    Comment,
    DifferentialDiagnosis,
    Figure,
    LabValue,
    Question,
    Rating,
    Reference,
)
from teachingfile.viewing import FigureView, figure_views


@dataclass
class ChoiceLine:
    choice: Choice
    picked: bool = False


@dataclass
class QuestionState:
    number: int
    question: Question
    choices: list[ChoiceLine]
    response: Response | None
    show_form: bool = False
    show_feedback: bool = False
    accepted: list[AcceptedAnswer] = field(default_factory=list)
    draft_text: str | None = None

    @property
    def text_value(self) -> str:
        if self.draft_text is not None:
            return self.draft_text
        return self.response.answer_text if self.response is not None else ""

    @property
    def is_pending(self) -> bool:
        return self.response is not None and self.response.method == Response.Method.PENDING


@dataclass
class CaseWork:
    """Everything the work area of a case page renders for one learner."""

    case: Case
    attempt: Attempt | None
    questions: list[QuestionState]
    action_url: str
    page_url: str = ""
    revealed: bool = False
    preview: bool = False
    exam: bool = False
    blocked_message: str = ""
    error: str = ""
    saved_message: str = ""
    figures: list[FigureView] = field(default_factory=list)
    lab_values: list[LabValue] = field(default_factory=list)
    differentials: list[DifferentialDiagnosis] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    companions: list[Case] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    rating: dict[str, Any] = field(default_factory=dict)

    def keep_draft(self, answers: Mapping[int, Any], error: str) -> None:
        """Put a refused submission back into the form, so that nothing typed is lost."""
        self.error = error
        for state in self.questions:
            answer = answers.get(state.question.pk)
            if answer is None or not state.show_form:
                continue
            state.draft_text = answer.text
            for line in state.choices:
                line.picked = line.choice.pk in answer.choice_ids

    @property
    def has_form(self) -> bool:
        return any(q.show_form for q in self.questions)

    @property
    def any_feedback(self) -> bool:
        return any(q.show_feedback for q in self.questions)


def with_rating_summary(cases: Any) -> Any:
    """Annotate cases with their rating aggregate, so the reveal costs no extra query."""
    ratings = Rating.objects.filter(case=OuterRef("pk")).values("case")
    return cases.annotate(
        rating_difficulty=Subquery(ratings.annotate(v=Avg("difficulty")).values("v")[:1]),
        rating_quality=Subquery(ratings.annotate(v=Avg("quality")).values("v")[:1]),
        rating_count=Subquery(ratings.annotate(v=Count("id")).values("v")[:1]),
    )


def build_case_work(
    *,
    case: Case,
    attempt: Attempt | None,
    action_url: str,
    page_url: str = "",
    exam: bool = False,
    exam_over: bool = False,
    preview: bool = False,
    blocked_message: str = "",
) -> CaseWork:
    """Decide what is earned and load it.

    Library and practice: per-question feedback once the case is answered (progressive
    cases: question by question), then the full reveal. Exams: forms with the saved
    answers until the attempt is over, then everything. Faculty preview: everything,
    without a learner's answers.
    """
    questions = list(case.questions.all())
    responses: dict[int, Response] = {}
    picked: set[int] = set()
    if attempt is not None and attempt.pk:
        for response in Response.objects.filter(attempt=attempt, case=case):
            responses[response.question_id] = response
        if responses:
            picked = set(
                Response.choices.through.objects.filter(
                    response_id__in=[r.pk for r in responses.values()]
                ).values_list("choice_id", flat=True)
            )
    lines: dict[int, list[ChoiceLine]] = {q.pk: [] for q in questions}
    for choice in Choice.objects.filter(question__case=case):
        lines[choice.question_id].append(ChoiceLine(choice, choice.pk in picked))

    states = [
        QuestionState(n, q, lines[q.pk], responses.get(q.pk)) for n, q in enumerate(questions, 1)
    ]
    all_answered = bool(questions) and all(s.response is not None for s in states)
    if blocked_message:
        revealed = False
    elif preview:
        revealed = True
        for state in states:
            state.show_feedback = True
    elif exam and not exam_over:
        revealed = False
        for state in states:
            state.show_form = True
    elif exam:
        revealed = True
        for state in states:
            state.show_feedback = True
    elif case.progressive:
        revealed = all_answered
        for state in states:
            state.show_feedback = state.response is not None
        due = next((s for s in states if s.response is None), None)
        if due is not None:
            due.show_form = True
    else:
        revealed = all_answered
        for state in states:
            state.show_feedback = all_answered
            state.show_form = not all_answered

    work = CaseWork(
        case=case,
        attempt=attempt,
        questions=states,
        action_url=action_url,
        page_url=page_url or case.get_absolute_url(),
        revealed=revealed,
        preview=preview,
        exam=exam,
        blocked_message=blocked_message,
    )
    if any(s.show_feedback for s in states):
        accepted = AcceptedAnswer.objects.filter(question__case=case)
        by_question: dict[int, list[AcceptedAnswer]] = {}
        for answer in accepted:
            by_question.setdefault(answer.question_id, []).append(answer)
        for state in states:
            if state.show_feedback:
                state.accepted = by_question.get(state.question.pk, [])
    if revealed:
        _load_reveal(work)
    return work


def _load_reveal(work: CaseWork) -> None:
    case = work.case
    figures = Figure.objects.filter(case=case).select_related("series")
    work.figures = figure_views(figures, revealed=True)
    work.lab_values = list(LabValue.objects.filter(case=case))
    work.differentials = list(DifferentialDiagnosis.objects.filter(case=case))
    work.references = list(Reference.objects.filter(case=case))
    work.companions = list(case.companions.all().only("public_id", "unknown_title", "status"))
    work.comments = list(Comment.objects.filter(case=case, hidden=False).select_related("author"))
    if hasattr(case, "rating_count"):
        work.rating = {
            "difficulty": case.rating_difficulty,
            "quality": case.rating_quality,
            "n": case.rating_count or 0,
        }
    else:
        work.rating = case.rating_summary()
