"""What the case page shows one learner in one attempt, loaded in a fixed number of queries.

Two kinds of rows make a case page:

* **The case's own content** (figures, lab values, differential, references, questions
  with their choices and accepted answers, keyword ids) is the same for every learner.
  `case_content` loads it with plain `select_related`/`prefetch_related` queries and keeps
  it in the shared cache under the case's version (`teachingfile.caching.for_case`), so a
  warm page reads it with one cache lookup. Every edit bumps the version.
* **The learner's rows** (this attempt's responses and picked choices; on submit, whether
  a question was seen before or already has a review card) are read on every request and
  never cached.

Loading reveal rows is not showing them: what may reach a template is decided in
`build_case_work` alone, by the rules of `quiz.rules`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, QuerySet, Subquery

from quiz import rules
from quiz.models import Attempt, Response, ReviewCard
from teachingfile import caching, roles
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
from teachingfile.roles import AnyUser
from teachingfile.viewing import FigureView, figure_views

# ---------------------------------------------------------------- the case row


def case_queryset(
    user: AnyUser,
    *,
    cases: QuerySet[Case] | None = None,
    library: bool = True,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """Cases this user may open (residents: published ones).

    `cases` defaults to the cases visible to the user. `library`: also whether an exam
    this user is sitting holds the case (the `exam_running` column, see `quiz.rules`).
    """
    if cases is None:
        cases = Case.objects.visible_to(user)
    if library:
        cases = cases.annotate(exam_running=rules.exam_running_for(user, OuterRef("pk"), now=now))
    return cases


# ---------------------------------------------------------------- the case's own content


@dataclass
class CaseContent:
    """A case's rows that are the same for every learner (cached per case version)."""

    figures: list[Figure]
    lab_values: list[LabValue]
    differentials: list[DifferentialDiagnosis]
    references: list[Reference]
    questions: list[Question]
    keyword_ids: list[int]

    @property
    def question_ids(self) -> list[int]:
        return [q.pk for q in self.questions]


def _load_content(case: Case) -> CaseContent:
    figures = Figure.objects.filter(case=case).select_related("series").defer("dicom_info")
    questions = (
        Question.objects.filter(case=case)
        .select_related("region_figure")
        .prefetch_related(
            Prefetch("choices", Choice.objects.order_by("order", "pk")),
            Prefetch("accepted_answers", AcceptedAnswer.objects.order_by("-score", "pk")),
        )
    )
    return CaseContent(
        figures=list(figures.order_by("order", "position", "pk")),
        lab_values=list(LabValue.objects.filter(case=case).order_by("order", "pk")),
        differentials=list(DifferentialDiagnosis.objects.filter(case=case).order_by("order", "pk")),
        references=list(Reference.objects.filter(case=case).order_by("order", "pk")),
        questions=list(questions.order_by("order", "pk")),
        keyword_ids=sorted(case.keywords.values_list("pk", flat=True)),
    )


def case_content(case: Case) -> CaseContent:
    """The case's content: from the shared cache, or loaded and cached (kept on `case`)."""
    cached: CaseContent | None = getattr(case, "_content", None)
    if cached is None:
        cached = caching.for_case(case, caching.REVEAL, "content", lambda: _load_content(case))
        # A memo on this row for the rest of the request (the page asks several times).
        setattr(case, "_content", cached)  # noqa: B010
        # teachingfile.similar ranks similar cases by these without asking for them again.
        setattr(case, "keyword_ids", cached.keyword_ids)  # noqa: B010
    return cached


# ---------------------------------------------------------------- the learner's rows


def latest_library_attempt(user: AnyUser, case: Case) -> Attempt | None:
    """The user's latest library attempt at this case (a fresh "Try again" included)."""
    return (
        Attempt.objects.filter(user=user, kind=Attempt.Kind.CASE, case=case)
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass
class LearnerQuestion:
    """One question of the case as one learner meets it in one attempt."""

    question: Question
    response: Response | None = None
    picked: frozenset[int] = frozenset()
    # Filled on submit only (`with_history=True`): answered in any attempt before, and
    # already in the learner's review queue.
    seen_before: bool = False
    has_card: bool = False

    @property
    def pk(self) -> int:
        return self.question.pk


def load_questions(
    case: Case,
    *,
    user: AnyUser,
    attempt: Attempt | None,
    with_history: bool = False,
) -> list[LearnerQuestion]:
    """The case's questions with `attempt`'s responses (none: a fresh page or a preview).

    Two queries when the attempt has responses (responses, picked choices), none when it
    has none; `with_history` adds one (answered before, review cards) for a submit.
    """
    questions = case_content(case).questions
    lines = [LearnerQuestion(question) for question in questions]
    by_pk = {line.pk: line for line in lines}
    if attempt is not None and attempt.pk is not None:
        responses = list(
            Response.objects.filter(attempt=attempt, question_id__in=by_pk).order_by("pk")
        )
        picks: dict[int, set[int]] = {}
        if responses:
            through = Response.choices.through.objects.filter(
                response_id__in=[r.pk for r in responses]
            ).values_list("response_id", "choice_id")
            for response_id, choice_id in through:
                picks.setdefault(response_id, set()).add(choice_id)
        for response in responses:
            line = by_pk[response.question_id]
            if line.response is not None:
                continue  # the first response to a question stands (double submits)
            response.attempt = attempt
            line.response = response
            line.picked = frozenset(picks.get(response.pk, ()))
    if with_history and lines and user.is_authenticated:
        history = Question.objects.filter(pk__in=by_pk).annotate(
            seen=Exists(Response.objects.filter(user=user, question=OuterRef("pk"))),
            carded=Exists(ReviewCard.objects.filter(user=user, question=OuterRef("pk"))),
        )
        for pk, seen, carded in history.values_list("pk", "seen", "carded"):
            by_pk[pk].seen_before = seen
            by_pk[pk].has_card = carded
    return lines


# ---------------------------------------------------------------- what only the reveal shows


@dataclass
class RevealExtras:
    """Reveal rows that change without a case edit, or differ by who is asking."""

    companions: list[Case]
    comments: list[Comment]
    rating: dict[str, Any]


def reveal_extras(case: Case, user: AnyUser) -> RevealExtras:
    """Companions this user may open, comments (hidden ones for faculty only), ratings."""
    comments = Comment.objects.filter(case=case).select_related("author", "hidden_by")
    if not roles.is_faculty(user):
        comments = comments.filter(hidden=False)
    companions = (
        case.companions.all()
        .filter(pk__in=Case.objects.visible_to(user).values("pk"))
        .exclude(pk=case.pk)
        .only("id", "public_id", "unknown_title")
        .order_by("public_id")
    )
    rating = Rating.objects.filter(case=case).aggregate(
        difficulty=Avg("difficulty"), quality=Avg("quality"), n=Count("id")
    )
    return RevealExtras(
        companions=list(companions),
        comments=list(comments.order_by("created_at", "pk")),
        rating=rating,
    )


# ---------------------------------------------------------------- what is earned


LETTERS = "ABCDEFGHIJ"


@dataclass
class ChoiceLine:
    choice: Choice
    picked: bool = False
    position: int = 0
    # After the reveal: the share of residents who picked it on their first attempt
    # (None when fewer than SHARE_MIN_RESPONDENTS answered).
    share: float | None = None

    @property
    def letter(self) -> str:
        """The letter as shown in this attempt's order (choices may be shuffled)."""
        return LETTERS[self.position] if self.position < len(LETTERS) else str(self.position + 1)


@dataclass
class QuestionState:
    number: int
    question: Question
    choices: list[ChoiceLine]
    response: Response | None
    show_form: bool = False
    show_feedback: bool = False
    # Exams: an answer shown read-only, without feedback (committed, or handed in while
    # the reveal waits for the due date).
    show_locked: bool = False
    accepted: list[AcceptedAnswer] = field(default_factory=list)
    draft_text: str | None = None
    share_respondents: int = 0

    @property
    def text_value(self) -> str:
        if self.draft_text is not None:
            return self.draft_text
        return self.response.answer_text if self.response is not None else ""

    @property
    def is_pending(self) -> bool:
        return self.response is not None and self.response.method == Response.Method.PENDING

    @property
    def is_answered(self) -> bool:
        return self.response is not None

    @property
    def answer_display(self) -> str:
        """The answer as the learner saw it: picked letters in this attempt's order."""
        if self.response is None:
            return ""
        if self.question.is_choice:
            return ", ".join(line.letter for line in self.choices if line.picked)
        return self.response.answer_text


@dataclass
class ScoreSummary:
    right: int
    total: int
    mean: float | None
    pending: int

    @property
    def percent(self) -> int | None:
        return None if self.mean is None else round(self.mean * 100)


@dataclass
class CaseWork:
    """Everything the work area of a case page renders for one learner."""

    case: Case
    questions: list[QuestionState]
    action_url: str
    page_url: str = ""
    revealed: bool = False
    preview: bool = False
    exam: bool = False
    blocked_message: str = ""
    error: str = ""
    saved_message: str = ""
    # Exams handed in whose reveal waits for the due date: the message saying when.
    withheld_message: str = ""
    # Library cases only: where "Try again" posts once the case is revealed.
    retry_url: str = ""
    # Quizzes: the next case, offered near the top of the reveal.
    next_url: str = ""
    # The comment form: a refusal's message with the text as typed, or a confirmation.
    comment_error: str = ""
    comment_draft: str = ""
    comment_message: str = ""
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

    @property
    def open_question(self) -> QuestionState | None:
        """Progressive exam cases: the one question open for an answer."""
        if not (self.exam and self.case.progressive):
            return None
        return next((q for q in self.questions if q.show_form), None)

    @property
    def score_summary(self) -> ScoreSummary | None:
        """The "2 of 3 · 67 %" line at the top of the reveal (not for a faculty preview)."""
        if not self.revealed or self.preview:
            return None
        scores = [q.response.score for q in self.questions if q.response is not None]
        known = [s for s in scores if s is not None]
        return ScoreSummary(
            right=sum(1 for s in known if s >= 1),
            total=len(self.questions),
            # Unanswered questions count as 0 once revealed, as the attempt score does.
            mean=(sum(known) / (len(known) + len(self.questions) - len(scores)))
            if known or len(scores) < len(self.questions)
            else None,
            pending=len(scores) - len(known),
        )


def build_case_work(
    *,
    case: Case,
    questions: list[LearnerQuestion],
    user: AnyUser,
    action_url: str,
    page_url: str = "",
    exam: bool = False,
    exam_over: bool = False,
    preview: bool = False,
    blocked_message: str = "",
    committed: Collection[int] = (),
    choice_order: Mapping[str, list[int]] | None = None,
    withheld_message: str = "",
) -> CaseWork:
    """Decide what is earned, from a case of `case_queryset` and `load_questions` rows.

    Library and practice: per-question feedback once the case is answered (progressive
    cases: question by question), then the full reveal. Exams: forms with the saved
    answers until the attempt is over, then everything; a progressive case shows its
    committed questions read-only and only the first uncommitted one, nothing after it.
    An exam over whose reveal waits (`withheld_message`) shows the answers read-only.
    Faculty preview: everything, without a learner's answers. `choice_order`: this
    attempt's order of choices per question id. Queries only for the reveal's comments,
    companions and ratings (`reveal_extras`), once it is earned.
    """
    states = []
    for number, line in enumerate(questions, 1):
        choices = list(line.question.choices.all())
        order = (choice_order or {}).get(str(line.question.pk))
        if order:
            rank = {pk: i for i, pk in enumerate(order)}
            choices.sort(key=lambda c: rank.get(c.pk, len(rank)))
        lines = [ChoiceLine(c, c.pk in line.picked, i) for i, c in enumerate(choices)]
        states.append(QuestionState(number, line.question, lines, line.response))
    all_answered = rules.attempt_reveal(
        (s.question.pk for s in states), (s.question.pk for s in states if s.response)
    )
    if blocked_message:
        revealed = False
    elif preview:
        revealed = True
        for state in states:
            state.show_feedback = True
    elif exam and not exam_over and case.progressive:
        # One question at a time: later questions would give the earlier ones away.
        revealed = False
        for state in states:
            if state.question.pk in committed:
                state.show_locked = True
            else:
                state.show_form = True
                break
    elif exam and not exam_over:
        revealed = False
        for state in states:
            state.show_form = True
    elif exam and withheld_message:
        revealed = False
        for state in states:
            state.show_locked = True
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
        questions=states,
        action_url=action_url,
        page_url=page_url or case.get_absolute_url(),
        revealed=revealed,
        preview=preview,
        exam=exam,
        blocked_message=blocked_message,
        withheld_message=withheld_message if exam and exam_over else "",
    )
    for state in states:
        if state.show_feedback:
            state.accepted = list(state.question.accepted_answers.all())
    if revealed:
        content = case_content(case)
        work.figures = figure_views(content.figures, revealed=True)
        work.lab_values = content.lab_values
        work.differentials = content.differentials
        work.references = content.references
        extras = reveal_extras(case, user)
        work.companions = extras.companions
        work.comments = extras.comments
        work.rating = extras.rating
    return work


# Per-choice shares are shown once at least this many residents answered the question.
SHARE_MIN_RESPONDENTS = 5


def add_choice_shares(work: CaseWork) -> None:
    """After the reveal, each choice's share of residents who picked it (first attempts).

    One query whatever the number of questions; hidden below SHARE_MIN_RESPONDENTS so
    that a share never points at one person's answer.
    """
    states = [s for s in work.questions if s.show_feedback and s.choices]
    if not states or not work.revealed:
        return
    first = Response.objects.filter(
        question__in=[s.question.pk for s in states],
        is_first_attempt=True,
        user__groups__name=roles.RESIDENT,
    ).order_by()
    # One query: picks per (question, choice), each row carrying its question's total.
    total = (
        first.filter(question=OuterRef("question"))
        .values("question")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    rows = first.values("question", "choices").annotate(n=Count("id"), respondents=Subquery(total))
    respondents: dict[int, int] = {}
    picks: dict[int, int] = {}
    for row in rows:
        respondents[row["question"]] = row["respondents"] or 0
        if row["choices"] is not None:
            picks[row["choices"]] = row["n"]
    for state in states:
        n = respondents.get(state.question.pk, 0)
        state.share_respondents = n
        if n < SHARE_MIN_RESPONDENTS:
            continue
        for line in state.choices:
            line.share = picks.get(line.choice.pk, 0) / n


def unknown_figures(case: Case) -> list[FigureView]:
    """The figures shown with the questions, without annotations or revealed captions."""
    return figure_views(case_content(case).figures, revealed=False)


def unknown_lab_values(case: Case) -> list[LabValue]:
    return [lab for lab in case_content(case).lab_values if lab.shown_before_reveal]
