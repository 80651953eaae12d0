"""What the case page shows one learner in one attempt, loaded in a fixed number of queries.

This is the single place that decides what is earned: the form, per-question feedback,
and the full reveal. Templates only render what these objects hold, so nothing of the
reveal can reach a page (or a URL in it) before the learner is entitled to it.

Loading: a case page costs two queries whatever the library holds. The case row carries
its figures, lab values, differential, references, companions, comments and ratings as
extra columns (correlated subqueries that aggregate rows into one JSON array each), and
the question rows carry their choices, accepted answers and this attempt's responses the
same way. The JSON rows become ordinary model instances again (`Model.from_db`, with the
prefetch caches filled), so templates and scoring use them as if they had been
prefetched. Loading reveal rows is not showing them: what may reach a template is decided
in `build_case_work` alone.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    Exists,
    Expression,
    F,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from quiz.models import Attempt, Quiz, Response, ReviewCard
from teachingfile import roles
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
    Series,
)
from teachingfile.viewing import FigureView, figure_views

M = TypeVar("M", bound=models.Model)


# ---------------------------------------------------------------- JSON rows


class JSONRows(Aggregate):
    """Aggregate rows into one JSON array (SQLite json_group_array, PostgreSQL jsonb_agg)."""

    function = "JSON_GROUP_ARRAY"
    name = "JSONRows"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


def _columns(model: type[models.Model], *skip: str) -> dict[str, Any]:
    return {f.attname: F(f.attname) for f in model._meta.concrete_fields if f.name not in skip}


def json_rows(
    queryset: QuerySet[Any], *, link: str, value: Expression | None = None, **extra: Any
) -> Subquery:
    """A column holding the rows of `queryset` that point at the outer row, as JSON."""
    row = value if value is not None else JSONObject(**_columns(queryset.model), **extra)
    rows = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(rows=JSONRows(row))
        .values("rows")
    )
    return Subquery(rows, output_field=JSONField())


def _decoded(value: Any) -> Any:
    # SQLite hands a JSON column back as text; a JSON value nested in JSON arrives as text too.
    return json.loads(value) if isinstance(value, str) else value


def _to_python(model_field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else value
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)  # SQLite stores UTC without an offset
        return moment
    if isinstance(model_field, models.BooleanField):
        return bool(value)  # SQLite's JSON has 0 and 1
    if isinstance(model_field, models.JSONField):
        return _decoded(value)
    return value


def hydrate(model: type[M], row: Mapping[str, Any]) -> M:
    """A model instance from one JSON row, as if the ORM had loaded it."""
    names, values = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in row:
            names.append(model_field.attname)
            values.append(_to_python(model_field, row[model_field.attname]))
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def _rows(value: Any) -> list[dict[str, Any]]:
    return [r for r in (_decoded(value) or []) if r]


# ---------------------------------------------------------------- the case row


def case_queryset(
    user: Any,
    *,
    cases: QuerySet[Case] | None = None,
    library: bool = True,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """Cases this user may open, each with everything its page and reveal show, in one row.

    `cases` defaults to the cases visible to the user. Comments hidden by faculty stay out
    for everyone but faculty; companions the user may not open stay out. `library`: also
    whether an exam this user is taking holds the case (the `exam_running` column).
    """
    faculty = roles.is_faculty(user)
    ratings = Rating.objects.filter(case=OuterRef("pk")).order_by().values("case")
    comments = Comment.objects.all() if faculty else Comment.objects.filter(hidden=False)
    if cases is None:
        cases = Case.objects.visible_to(user)
    cases = cases.annotate(
        rating_difficulty=Subquery(ratings.annotate(v=Avg("difficulty")).values("v")[:1]),
        rating_quality=Subquery(ratings.annotate(v=Avg("quality")).values("v")[:1]),
        rating_count=Subquery(ratings.annotate(v=Count("id")).values("v")[:1]),
        figure_rows=json_rows(
            Figure.objects.all(),
            link="case",
            value=JSONObject(
                **_columns(Figure, "source_file", "dicom_info", "source_format"),
                series_name=F("series__name"),
            ),
        ),
        keyword_rows=json_rows(
            Case.keywords.through.objects.all(), link="case", value=F("keyword_id")
        ),
        lab_rows=json_rows(LabValue.objects.all(), link="case"),
        differential_rows=json_rows(DifferentialDiagnosis.objects.all(), link="case"),
        reference_rows=json_rows(Reference.objects.all(), link="case"),
        companion_rows=json_rows(
            Case.objects.visible_to(user),
            link="companions",
            value=JSONObject(
                id=F("id"), public_id=F("public_id"), unknown_title=F("unknown_title")
            ),
        ),
        comment_rows=json_rows(
            comments,
            link="case",
            author_username=F("author__username"),
            author_first_name=F("author__first_name"),
            author_last_name=F("author__last_name"),
            hidden_by_username=F("hidden_by__username"),
            hidden_by_first_name=F("hidden_by__first_name"),
            hidden_by_last_name=F("hidden_by__last_name"),
        ),
    )
    if library:
        running = Attempt.objects.filter(
            user=user,
            kind=Attempt.Kind.QUIZ,
            quiz__mode=Quiz.Mode.EXAM,
            quiz__items__case=OuterRef("pk"),
            finished_at__isnull=True,
            deadline__gt=now or timezone.now(),
        )
        cases = cases.annotate(exam_running=Exists(running))
    return cases


@dataclass
class CaseContent:
    """A case's own rows, read back from the columns `case_queryset` added."""

    figures: list[Figure]
    lab_values: list[LabValue]
    differentials: list[DifferentialDiagnosis]
    references: list[Reference]
    companions: list[Case]
    comments: list[Comment]
    rating: dict[str, Any]


def _user_from(row: Mapping[str, Any], prefix: str, pk: Any) -> Any:
    User = get_user_model()
    return User.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "username", "first_name", "last_name"],
        [pk, row[f"{prefix}_username"], row[f"{prefix}_first_name"], row[f"{prefix}_last_name"]],
    )


def case_content(case: Case) -> CaseContent:
    """The rows of a case loaded by `case_queryset` (cached on the instance)."""
    cached = getattr(case, "_content", None)
    if cached is not None:
        return cached
    figures = []
    for row in _rows(case.figure_rows):  # type: ignore[attr-defined]
        figure = hydrate(Figure, row)
        if figure.series_id:
            figure.series = Series.from_db(
                DEFAULT_DB_ALIAS, ["id", "name"], [figure.series_id, row["series_name"]]
            )
        figures.append(figure)
    comments = []
    for row in _rows(case.comment_rows):  # type: ignore[attr-defined]
        comment = hydrate(Comment, row)
        comment.author = _user_from(row, "author", comment.author_id)
        comment.hidden_by = (
            _user_from(row, "hidden_by", comment.hidden_by_id) if comment.hidden_by_id else None
        )
        comments.append(comment)
    companions = [
        hydrate(Case, row)
        for row in _rows(case.companion_rows)  # type: ignore[attr-defined]
        if row["id"] != case.pk
    ]

    def ordered(model: type[M], rows: Any) -> list[M]:
        return sorted((hydrate(model, r) for r in _rows(rows)), key=lambda o: (o.order, o.pk))

    content = CaseContent(
        figures=sorted(figures, key=lambda f: (f.order, f.position, f.pk)),
        lab_values=ordered(LabValue, case.lab_rows),  # type: ignore[attr-defined]
        differentials=ordered(DifferentialDiagnosis, case.differential_rows),  # type: ignore[attr-defined]
        references=ordered(Reference, case.reference_rows),  # type: ignore[attr-defined]
        companions=sorted(companions, key=lambda c: c.public_id),
        comments=sorted(comments, key=lambda c: (c.created_at, c.pk)),
        rating={
            "difficulty": case.rating_difficulty,  # type: ignore[attr-defined]
            "quality": case.rating_quality,  # type: ignore[attr-defined]
            "n": case.rating_count or 0,  # type: ignore[attr-defined]
        },
    )
    case._content = content  # type: ignore[attr-defined]
    # teachingfile.similar ranks similar cases by these without asking for them again.
    case.keyword_ids = sorted(_decoded(case.keyword_rows) or [])  # type: ignore[attr-defined]
    return content


# ---------------------------------------------------------------- the question rows


def latest_library_attempt(user: Any, case: Case) -> Subquery:
    """The id of the user's latest library attempt at this case, as an SQL expression."""
    latest = Attempt.objects.filter(user=user, kind=Attempt.Kind.CASE, case=case).order_by(
        "-started_at", "-id"
    )
    return Subquery(latest.values("id")[:1])


def load_questions(case: Case, *, user: Any, attempt: int | Subquery | None) -> list[Question]:
    """The case's questions with choices, accepted answers and `attempt`'s responses, in one query.

    Each question gets `response` (this attempt's, or None), `seen_before` (the user has
    answered it in any attempt), `has_card` (it is in the user's review queue) and
    `attempt_row` (the attempt, when `attempt` is an expression).
    """
    questions = Question.objects.filter(case=case).annotate(
        choice_rows=json_rows(Choice.objects.all(), link="question"),
        accepted_rows=json_rows(AcceptedAnswer.objects.all(), link="question"),
        seen_before=Exists(Response.objects.filter(user=user, question=OuterRef("pk"))),
        has_card=Exists(ReviewCard.objects.filter(user=user, question=OuterRef("pk"))),
    )
    if attempt is not None:
        responses = Response.objects.filter(attempt_id=attempt, question=OuterRef("pk"))
        picks = Response.choices.through.objects.filter(response__attempt_id=attempt)
        questions = questions.annotate(
            response_row=Subquery(
                responses.values(row=JSONObject(**_columns(Response)))[:1],
                output_field=JSONField(),
            ),
            picked_rows=json_rows(picks, link="response__question", value=F("choice_id")),
        )
        if not isinstance(attempt, int):
            rows = Attempt.objects.filter(pk=attempt).values(row=JSONObject(**_columns(Attempt)))
            questions = questions.annotate(attempt_row=Subquery(rows[:1], output_field=JSONField()))
    loaded = list(questions)
    for question in loaded:
        choices = sorted(
            (hydrate(Choice, r) for r in _rows(question.choice_rows)),  # type: ignore[attr-defined]
            key=lambda c: (c.order, c.pk),
        )
        accepted = sorted(
            (hydrate(AcceptedAnswer, r) for r in _rows(question.accepted_rows)),  # type: ignore[attr-defined]
            key=lambda a: (-a.score, a.pk),
        )
        question._prefetched_objects_cache = {"choices": choices, "accepted_answers": accepted}
        row = _decoded(getattr(question, "response_row", None))
        picked = set(_decoded(getattr(question, "picked_rows", None)) or [])
        question.response = hydrate(Response, row) if row else None  # type: ignore[attr-defined]
        if question.response is not None:  # type: ignore[attr-defined]
            question.response._prefetched_objects_cache = {  # type: ignore[attr-defined]
                "choices": [c for c in choices if c.pk in picked]
            }
        attempt_row = _decoded(getattr(question, "attempt_row", None))
        question.attempt = hydrate(Attempt, attempt_row) if attempt_row else None  # type: ignore[attr-defined]
    return loaded


def picked_ids(question: Question) -> set[int]:
    response = getattr(question, "response", None)
    if response is None:
        return set()
    return {c.pk for c in response.choices.all()}


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
    questions: list[Question],
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
    attempt's order of choices per question id. Runs no query.
    """
    states = []
    for number, question in enumerate(questions, 1):
        picked = picked_ids(question)
        choices = list(question.choices.all())
        order = (choice_order or {}).get(str(question.pk))
        if order:
            rank = {pk: i for i, pk in enumerate(order)}
            choices.sort(key=lambda c: rank.get(c.pk, len(rank)))
        lines = [ChoiceLine(c, c.pk in picked, i) for i, c in enumerate(choices)]
        states.append(QuestionState(number, question, lines, getattr(question, "response", None)))
    all_answered = bool(states) and all(s.response is not None for s in states)
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
        work.companions = content.companions
        work.comments = content.comments
        work.rating = content.rating
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
