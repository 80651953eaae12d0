"""What a live page shows at each step: the one place that decides it for live sessions.

Participants: the current question's prompt and choices while it is open or closed; the
spread of answers once the presenter shows it; their own feedback (right or wrong, the
explanation) only at the reveal. Questions not yet opened never reach them, nor does any
reveal text before the presenter reveals it. The presenter's big screen shows the case
as its unknown view, then the question's feedback, and the case's reveal after its last
question. Case rows come from quiz.reading, which the library's pages use too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from live.models import LiveSession, Participant
from live.state import State
from quiz import reading, scoring
from quiz.models import Response
from quiz.reports import charts
from teachingfile.models import Case, Question

Step = LiveSession.Step
QUESTION_SECONDS = 60
# Free-text spreads show the most common answers (as typed, normalised) and the rest as one.
TOP_TEXTS = 8


def answer_count(state: State) -> int:
    """How many participants have answered the current question (one row per participant)."""
    if state.question_id is None:
        return 0
    return Response.objects.filter(
        question_id=state.question_id, attempt__live_participant__session_id=state.pk
    ).count()


def joined_count(state: State) -> int:
    return Participant.objects.filter(session_id=state.pk).count()


def distribution(state: State, question: Question) -> dict[str, Any]:
    """The answers as bars, without names: per choice, or the commonest free texts.

    Shown once the question is closed, so the answers are final: every phone at this
    step (this version of the session) gets the one spread computed first.
    """
    key = f"live:spread:{state.pk}:{state.version}:{question.pk}"
    spread = cache.get(key)
    if spread is None:
        spread = _distribution(state, question)
        cache.set(key, spread, QUESTION_SECONDS)
    return spread


def _distribution(state: State, question: Question) -> dict[str, Any]:
    responses = Response.objects.filter(
        question_id=question.pk, attempt__live_participant__session_id=state.pk
    )
    if question.is_choice:
        picks = dict(
            Response.choices.through.objects.filter(response__in=responses)
            .values("choice_id")
            .annotate(n=Count("id"))
            .values_list("choice_id", "n")
        )
        bars = [
            {"label": f"{c.letter}. {c.text}"[:40], "n": picks.get(c.pk, 0)}
            for c in question.choices.all()
        ]
    else:
        texts = Counter(
            scoring.normalise(text, sort_words=False)
            for text in responses.values_list("answer_text", flat=True)
        )
        common = texts.most_common(TOP_TEXTS)
        bars = [{"label": text[:40] or "(blank)", "n": n} for text, n in common]
        rest = sum(texts.values()) - sum(n for _, n in common)
        if rest:
            bars.append({"label": "other answers", "n": rest})
    total = sum(bar["n"] for bar in bars)
    chart = charts.bar_chart(bars, "n", max((b["n"] for b in bars), default=0), percent=False)
    return {"chart": chart, "bars": bars, "total": total}


def _question_of(
    case: Case, questions: Sequence[Question | reading.LearnerQuestion], question_id: int
) -> tuple[int, Question]:
    for number, line in enumerate(questions, 1):
        question = line.question if isinstance(line, reading.LearnerQuestion) else line
        if question.pk == question_id:
            return number, question
    raise LookupError(f"question {question_id} is not in case {case.pk}")


def _current_question(state: State) -> tuple[Case, int, Question]:
    """The open question with its choices and accepted answers, the same for every phone.

    Loaded once (quiz.reading.load_questions) and kept in the cache for the question's
    time on screen: 200 phones asking at once then cost one load, not 200.
    """
    key = f"live:question:{state.pk}:{state.question_id}"
    found = cache.get(key)
    if found is None:
        # The whole row: its version and update time key the cached questions.
        case = Case.objects.get(pk=state.case_id)
        questions = reading.case_content(case).questions
        number, question = _question_of(case, questions, state.question_id or 0)
        found = (case, number, question)
        cache.set(key, found, QUESTION_SECONDS)
    return found


@dataclass
class ParticipantStage:
    state: State
    case: Case | None = None
    question: reading.QuestionState | None = None
    spread: dict[str, Any] | None = None
    page_url: str = ""
    error: str = ""

    @property
    def show_form(self) -> bool:
        return self.question is not None and self.state.is_open

    @property
    def show_feedback(self) -> bool:
        return self.question is not None and self.state.is_revealed

    @property
    def etag(self) -> str:
        return etag_for_participant(self.state)


def etag_for_participant(state: State) -> str:
    return f'"live-{state.pk}-{state.version}"'


def participant_stage(
    state: State,
    *,
    user: Any,
    attempt_id: int,
    page_url: str,
    answered: Any = None,
) -> ParticipantStage:
    """The participant's view of the current step: 2 queries (3 with the spread).

    `answered`: what quiz.services returned for an answer just stored, whose questions
    already carry this attempt's responses (saves loading them again).
    """
    stage = ParticipantStage(state=state, page_url=page_url)
    if state.is_over() or state.question_id is None or state.case_id is None:
        return stage
    ids = {q.pk for q in answered.questions} if answered is not None else set()
    if answered is not None and answered.attempt.pk == attempt_id and state.question_id in ids:
        case = answered.case
        number, question = _question_of(case, answered.questions, state.question_id)
        line = next(q for q in answered.questions if q.pk == question.pk)
        response, picked = line.response, set(line.picked)
    else:
        case, number, question = _current_question(state)
        response = (
            Response.objects.filter(attempt_id=attempt_id, question_id=question.pk)
            .prefetch_related("choices")
            .first()
        )
        picked = {c.pk for c in response.choices.all()} if response is not None else set()

    stage.case = case
    stage.question = reading.QuestionState(
        number=number,
        question=question,
        choices=[reading.ChoiceLine(c, c.pk in picked) for c in question.choices.all()],
        response=response,
    )
    if state.is_revealed:
        stage.question.show_feedback = True
        stage.question.accepted = list(question.accepted_answers.all())
    else:
        stage.question.show_form = state.is_open
    if state.shows_distribution:
        stage.spread = distribution(state, question)
    return stage


@dataclass
class PresenterStage:
    state: State
    session: LiveSession
    case: Case | None = None
    work: reading.CaseWork | None = None
    question: reading.QuestionState | None = None
    figures: list[Any] = field(default_factory=list)
    lab_values: list[Any] = field(default_factory=list)
    answers: int = 0
    joined: int = 0
    spread: dict[str, Any] | None = None
    case_changed: bool = True

    @property
    def etag(self) -> str:
        return etag_for_presenter(self.state)

    @property
    def counts_etag(self) -> str:
        return etag_for_counts(self.state, self.answers, self.joined)

    @property
    def is_last_of_case(self) -> bool:
        return (
            self.work is not None
            and self.question is not None
            and (self.question.number == len(self.work.questions))
        )

    @property
    def case_revealed(self) -> bool:
        return self.state.is_revealed and self.is_last_of_case

    @property
    def is_last(self) -> bool:
        return self.state.position == self.state.count - 1


def etag_for_presenter(state: State) -> str:
    return f'"present-{state.pk}-{state.version}"'


def etag_for_counts(state: State, answers: int, joined: int) -> str:
    return f'"counts-{state.pk}-{state.version}-{answers}-{joined}"'


def presenter_stage(
    state: State,
    session: LiveSession,
    *,
    user: Any,
    shown_case_id: int | None = None,
    counts: tuple[int, int] | None = None,
) -> PresenterStage:
    """The big screen at the current step, with the case's unknown view and its reveal."""
    stage = PresenterStage(state=state, session=session)
    stage.answers, stage.joined = counts or (answer_count(state), joined_count(state))
    if state.case_id is None or state.question_id is None:
        return stage
    stage.case_changed = shown_case_id != state.case_id
    case = reading.case_queryset(
        user, cases=Case.objects.filter(pk=state.case_id), library=False
    ).get()
    questions = reading.load_questions(case, user=user, attempt=None)
    # preview: everything decided in reading.build_case_work, without anyone's answers.
    work = reading.build_case_work(
        case=case, questions=questions, user=user, action_url="", preview=True
    )
    number, _question = _question_of(case, questions, state.question_id)
    stage.case, stage.work = case, work
    stage.question = work.questions[number - 1]
    stage.figures = reading.unknown_figures(case)
    stage.lab_values = reading.unknown_lab_values(case)
    if state.shows_distribution:
        stage.spread = distribution(state, stage.question.question)
    return stage
