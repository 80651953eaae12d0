"""Every page the project serves has a query ceiling, and no page's query count grows with data.

This is the catch-all: it walks the URL resolver, so a new page cannot slip in without a
budget. Each GET page is requested as the personas who may see it, first with 5 cases
(each with its questions, answers, ratings, comments and review cards), then again after
the library, the quiz, the cohort and the responses have grown tenfold. The count must not
rise, and must stay under the page's ceiling. The quiz and report modules have their own
finer per-page tests; this one makes sure none is missed.

Adding a page: give it an entry in PAGES (who may see it, how to build its URL, a ceiling
a little above what it needs today), or in EXEMPT with the reason. POST-only endpoints are
found by their 405 and need nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from quiz.models import (
    Attempt,
    Cohort,
    Collection,
    CollectionItem,
    Membership,
    Quiz,
    QuizItem,
    Response,
    ReviewCard,
)
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
)
from tests.factories import AssignmentFactory, QuizFactory, make_user

SMALL, LARGE = 5, 50


@dataclass
class World:
    """The data every page is measured against; `grow` adds to it in place."""

    cohort: Cohort
    resident: AbstractUser
    faculty: AbstractUser
    other_resident: AbstractUser
    quiz: Quiz = field(init=False)
    attempt: Attempt = field(init=False)
    open_attempt: Attempt = field(init=False)
    case_attempt: Attempt = field(init=False)
    in_review: Case = field(init=False)
    cases: list[Case] = field(default_factory=list)
    residents: list[AbstractUser] = field(default_factory=list)
    resident_response: Response | None = None
    comment: Comment | None = None
    live: Any = None  # live conference: a session whose participants grow with the data
    collection: Collection | None = None  # issue 18: every case is saved in it

    @property
    def answered_case(self) -> Case:
        return self.cases[0]

    @property
    def unanswered_case(self) -> Case:
        return self.cases[1]


def _add_cases(world: World, count: int) -> list[Case]:
    start = len(world.cases)
    new = []
    for index in range(start, start + count):
        case = Case.objects.create(
            public_id=f"tf-{index + 9001}",
            status=Case.Status.PUBLISHED,
            unknown_title=f"Patient {index} with knee pain",
            presentation="Knee pain for *three* weeks.",
            known_title=f"Known {index}",
            diagnosis=f"Diagnosis {index}",
            findings="Findings **here**.",
            discussion="Discussion.\n\n- one\n- two",
            modalities="DX CT",
            region="musculoskeletal",
            category="metabolic",
            patient_age=40 + index % 40,
            patient_sex="F",
            owner=world.faculty,
            published_at=timezone.now(),
        )
        single = Question.objects.create(case=case, order=1, prompt="Finding?", explanation="E.")
        Choice.objects.bulk_create(
            Choice(question=single, order=o, text=f"Choice {o}", is_correct=o == 0)
            for o in range(4)
        )
        free = Question.objects.create(
            case=case, order=2, kind=Question.Kind.FREE_TEXT, prompt="Diagnosis?"
        )
        AcceptedAnswer.objects.create(question=free, text=f"diagnosis {index}")
        Figure.objects.bulk_create(
            [
                Figure(case=case, order=0, label="Fig. A", alt_text="Radiograph", image="a.png"),
                Figure(
                    case=case,
                    order=1,
                    label="Fig. B",
                    alt_text="CT",
                    stage=Figure.Stage.REVEAL,
                    image="b.png",
                    annotated_image="c.png",
                ),
            ]
        )
        LabValue.objects.create(case=case, name="Calcium", value="2.9", shown_before_reveal=True)
        DifferentialDiagnosis.objects.create(case=case, diagnosis="Tumoral calcinosis")
        Reference.objects.create(case=case, citation="A. Author. J Radiol 2020.", doi="10.1/x")
        Rating.objects.create(case=case, rater=world.faculty, difficulty=3, quality=4)
        world.comment = Comment.objects.create(
            case=case, author=world.other_resident, body="Nice case."
        )
        QuizItem.objects.create(quiz=world.quiz, case=case, order=index)
        if world.collection is not None:
            CollectionItem.objects.create(collection=world.collection, case=case)
        new.append(case)
    world.cases.extend(new)
    return new


def _answer(attempt: Attempt, cases: list[Case]) -> list[Response]:
    """Store a right single-choice answer and a wrong free-text one for every case."""
    questions = Question.objects.filter(case__in=cases).prefetch_related("choices")
    responses = Response.objects.bulk_create(
        Response(
            attempt=attempt,
            question=question,
            user=attempt.user,
            case_id=question.case_id,
            answer_text="" if question.is_choice else "no idea",
            score=1.0 if question.is_choice else 0.0,
        )
        for question in questions
    )
    Response.choices.through.objects.bulk_create(
        Response.choices.through(response_id=response.pk, choice_id=choice.pk)
        for response, question in zip(responses, questions, strict=True)
        for choice in question.choices.all()[:1]
    )
    return responses


def _grow(world: World, count: int) -> None:
    new_cases = _add_cases(world, count)
    _answer(world.attempt, new_cases)
    ReviewCard.objects.bulk_create(
        ReviewCard(user=world.resident, question=question, due=timezone.now())
        for question in Question.objects.filter(case__in=new_cases)
    )
    # More residents in the cohort, each with a finished attempt over the whole quiz.
    for n in range(max(1, count // 5)):
        learner = make_user(f"learner{len(world.residents)}-{n}", roles.RESIDENT)
        Membership.objects.create(cohort=world.cohort, resident=learner)
        attempt = Attempt.objects.create(
            user=learner, quiz=world.quiz, finished_at=timezone.now(), score=0.5
        )
        _answer(attempt, world.cases)
        world.residents.append(learner)
        if world.live is not None:
            _live_join_and_answer(world, learner)


def _live_join_and_answer(world: World, learner: AbstractUser) -> None:
    from live.services import participant_join
    from quiz.services import Answer, attempt_answer

    participant = participant_join(code=world.live.code, user=learner)
    question = Question.objects.get(pk=world.live.question_id)
    # Straight to the quiz service: the session shows the spread, its question is closed.
    attempt_answer(
        attempt=participant.attempt,
        case=question.case,
        answers={question.pk: Answer(choice_ids=frozenset({question.choices.all()[1].pk}))},
    )


def _build(cohort: Cohort, resident: AbstractUser, other: AbstractUser, faculty: Any) -> World:
    world = World(cohort=cohort, resident=resident, faculty=faculty, other_resident=other)
    world.quiz = QuizFactory(title="Calcification quiz", is_open=True, created_by=faculty)
    AssignmentFactory(quiz=world.quiz, cohort=cohort)
    now = timezone.now()
    world.attempt = Attempt.objects.create(
        user=resident, quiz=world.quiz, finished_at=now, score=0.5
    )
    world.open_attempt = Attempt.objects.create(user=resident, quiz=world.quiz)
    world.collection = Collection.objects.create(owner=faculty, name="Saved", shared_with=cohort)
    _add_cases(world, 2)
    world.live = _live_session(world)
    _grow(world, SMALL - 2)
    world.case_attempt = Attempt.objects.create(
        user=resident, kind=Attempt.Kind.CASE, case=world.answered_case, finished_at=now
    )
    _answer(world.case_attempt, [world.answered_case])
    review = Attempt.objects.create(user=resident, kind=Attempt.Kind.REVIEW, finished_at=now)
    world.resident_response = _answer(review, [world.answered_case])[0]
    world.in_review = Case.objects.create(
        public_id="tf-8999",
        status=Case.Status.IN_REVIEW,
        unknown_title="Patient in review",
        presentation="P.",
        known_title="K",
        diagnosis="D",
        owner=make_user("fiona-author", roles.FACULTY, is_staff=True),
    )
    return world


def _live_session(world: World) -> Any:
    from live.services import session_step
    from tests.factories import make_live_session

    session = make_live_session(world.faculty, world.cases[:2], program=world.cohort.program)
    # The spread is what grows with the answers: measure the step that draws it.
    for _ in range(3):
        session = session_step(session=session, action="next", by=world.faculty)
    world.live = session
    _live_join_and_answer(world, world.resident)
    return session


# --- the budget table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    ceiling: int
    personas: tuple[str, ...] = ("resident",)
    kwargs: Callable[[World], dict[str, Any]] = lambda world: {}
    query: str = ""


def _case(world: World) -> dict[str, Any]:
    return {"public_id": world.answered_case.public_id}


def _quiz(world: World) -> dict[str, Any]:
    return {"pk": world.quiz.pk}


def _invitation(world: World) -> str:
    """A pending invitation's token (the same one each time the table is measured)."""
    from people.models import Invitation, token_digest

    invited = make_user("nia-invited", is_active=False)
    Invitation.objects.get_or_create(
        token_hash=token_digest("budget-token"),
        defaults={"user": invited, "expires_at": timezone.now() + timedelta(days=1)},
    )
    return "budget-token"


def _attempt(world: World) -> dict[str, Any]:
    return {"pk": world.quiz.pk, "attempt_pk": world.attempt.pk}


def _live(world: World) -> dict[str, Any]:
    return {"code": world.live.code}


# --- drawing (issue 16): the editor of one figure, of one region question (the same rows
# each time the table is measured).
def _drawn_figure(world: World) -> dict[str, Any]:
    from teachingfile.models import Figure
    from tests.factories import FigureFactory

    case = world.answered_case
    figure = Figure.objects.filter(case=case).first() or FigureFactory(case=case)
    return {"pk": figure.pk}


def _region_question(world: World) -> dict[str, Any]:
    from teachingfile.models import Question

    question, _ = Question.objects.get_or_create(
        case=world.answered_case, kind=Question.Kind.REGION, defaults={"order": 99}
    )
    return {"pk": question.pk}


# --- end drawing


# Ceilings sit a few queries above what each page needed when it was measured, so a
# careless related lookup trips them while an extra permission check does not.
PAGES: dict[str, Page] = {
    # Faculty pages carry the statistics flags: five queries (quiz.reports.flags).
    "teachingfile:home": Page(13, ("resident", "faculty", "director")),
    "teachingfile:healthz": Page(1, ("anonymous",)),
    "teachingfile:case_list": Page(8, ("resident", "faculty")),
    # The resident has answered this case (the reveal); the other resident has not. The
    # first visit after an edit loads the case's rows (quiz.reading.case_content, 8 plain
    # prefetch queries) and caches them for every later visit of that version. Issue #12
    # added one query for residents (the menu's "Practice review (N due)") and one for a revealed
    # case (each choice's share of residents).
    "teachingfile:case_detail": Page(15, ("resident", "other_resident", "faculty"), _case),
    "quiz:quiz_list": Page(9, ("resident", "faculty")),
    "quiz:quiz_detail": Page(9, ("resident", "faculty"), _quiz),
    "quiz:attempt_results": Page(9, ("resident",), _attempt),
    "quiz:attempt_case": Page(
        9,  # issue #12: + the menu's due count
        ("resident",),
        lambda w: {"pk": w.quiz.pk, "attempt_pk": w.open_attempt.pk, "position": 1},
    ),
    # The hand-in confirmation of the resident's open attempt (issue #12).
    "quiz:attempt_finish": Page(
        8, ("resident",), lambda w: {"pk": w.quiz.pk, "attempt_pk": w.open_attempt.pk}
    ),
    # A resident's own progress, beside the cohort's averages (issue #12).
    "quiz:progress": Page(17, ("resident", "other_resident")),  # issue 18: + by domain, twice
    "quiz:review_queue": Page(11, ("resident",)),
    "quiz:review_feedback": Page(12, ("resident",), lambda w: {"pk": w.resident_response.pk}),
    "reports:reports_home": Page(9, ("director",)),
    "reports:cohort_csv": Page(8, ("director",)),
    "reports:resident_detail": Page(13, ("director",), lambda w: {"resident_id": w.resident.pk}),
    "reports:resident_csv": Page(8, ("director",), lambda w: {"resident_id": w.resident.pk}),
    "reports:item_analysis": Page(15, ("director", "faculty")),
    # With a quiz chosen: the quiz-level panel adds its three queries.
    "reports:item_analysis@quiz": Page(18, ("director", "faculty"), query="quiz={quiz}"),
    "reports:item_csv": Page(8, ("director", "faculty")),
    "grading:grading_queue": Page(7, ("faculty",)),
    "cohorts:cohort_list": Page(7, ("director",)),
    "cohorts:cohort_detail": Page(8, ("director",), lambda w: {"cohort_id": w.cohort.pk}),
    "peer_review:review_queue": Page(12, ("faculty",)),
    "peer_review:case_review": Page(
        15, ("faculty",), lambda w: {"public_id": w.in_review.public_id}
    ),
    # Issue #12: + the menu's "Practice review (N due)" count for residents.
    "search:search": Page(8, ("resident", "faculty"), query="q=knee"),
    # People (issue 21).
    "people:people_list": Page(8, ("director",)),
    "people:invite": Page(6, ("director",)),
    "people:import_cohort": Page(6, ("director",)),
    "people:preferences": Page(5, ("resident", "director")),
    "people:audit_log": Page(7, ("director",)),
    "people:invitation_accept": Page(3, ("anonymous",), lambda w: {"token": _invitation(w)}),
    # Live conference: the session shows the spread of answers to its first question.
    "live:index": Page(9, ("faculty", "director")),
    "live:join": Page(4, ("resident",)),
    "live:participant": Page(8, ("resident",), _live),
    "live:participant_stage": Page(8, ("resident",), _live),
    "live:present": Page(11, ("faculty",), _live),
    "live:present_stage": Page(11, ("faculty",), _live),
    "live:present_counts": Page(11, ("faculty",), _live),
    "live:results": Page(8, ("faculty", "director"), _live),
    # Quiz builder and collections (issue 18): the builder reads the bands of every match
    # in two queries (measured facility, ratings), whatever the number of cases.
    "quiz:quiz_new": Page(12, ("faculty",)),
    "quiz:quiz_new@filtered": Page(12, ("faculty",), query="region=musculoskeletal&band=medium"),
    "quiz:quiz_edit": Page(10, ("faculty",), _quiz),
    "collections:collection_list": Page(6, ("resident", "faculty")),
    "collections:collection_detail": Page(
        10, ("resident", "faculty"), lambda w: {"pk": w.collection.pk}
    ),
    # --- drawing (issue 16)
    "drawing:figure_draw": Page(6, ("editor",), _drawn_figure),
    "drawing:question_regions": Page(7, ("editor",), _region_question),
    # --- end drawing
    # Django's own account pages.
    "login": Page(2, ("anonymous",)),
    "password_change": Page(4, ("resident",)),
    "password_change_done": Page(4, ("resident",)),
    "password_reset": Page(2, ("anonymous",)),
    "password_reset_done": Page(2, ("anonymous",)),
    "password_reset_complete": Page(2, ("anonymous",)),
    "password_reset_confirm": Page(
        3, ("anonymous",), lambda w: {"uidb64": "MQ", "token": "set-password"}
    ),
}

# Pages known to run one query per row today, with the fix owed. The test fails once
# such a page stops growing, so the entry is removed with the fix rather than forgotten.
KNOWN_GROWTH: dict[str, str] = {}

EXEMPT: dict[str, str] = {
    "media_file": "streams an uploaded file from storage; it runs no query at all",
    # Single sign-on (people/oidc.py): off in the tests, and when on they only redirect to
    # and from the identity provider; tests/people/test_oidc.py drives them for real.
    "oidc_authentication_init": "redirects to the identity provider; renders no page",
    "oidc_authentication_callback": "logs in and redirects; renders no page",
}
# Django's admin is staff-only and pages its change lists (list_per_page); its query
# counts are Django's, measured upstream.
EXEMPT_NAMESPACES = {"admin"}


def _url_names() -> dict[str, list[str]]:
    """Every named URL outside the exempt namespaces, with its route's argument names."""
    found: dict[str, list[str]] = {}

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                if inner in EXEMPT_NAMESPACES:
                    continue
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                args = list(getattr(pattern.pattern, "converters", {}))
                args += list(pattern.pattern.regex.groupindex)
                found[name] = sorted(set(args))

    walk(get_resolver().url_patterns, None)
    return found


def _dummy(arg: str) -> Any:
    return "tf-0000" if arg == "public_id" else ("x" if arg in {"uidb64", "token"} else 999999)


def _client_for(persona: str, people: dict[str, AbstractUser]) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(people[persona])
    return client


@pytest.fixture
def people(
    resident: AbstractUser,
    other_resident: AbstractUser,
    faculty: AbstractUser,
    director: AbstractUser,
    editor: AbstractUser,
    cohort: Cohort,
) -> dict[str, AbstractUser]:
    return {
        "resident": resident,
        "other_resident": other_resident,
        "faculty": faculty,
        "director": director,
        "editor": editor,
    }


def _get_only_pages(people: dict[str, AbstractUser]) -> list[str]:
    """URL names that answer GET: a POST-only endpoint says 405 before looking anything up."""
    client = _client_for("editor", people)
    pages = []
    for name, args in _url_names().items():
        if name in EXEMPT:
            continue
        response = client.get(reverse(name, kwargs={arg: _dummy(arg) for arg in args}))
        if response.status_code != 405:
            pages.append(name)
    return pages


@pytest.mark.django_db
def test_every_get_page_has_a_query_ceiling(people: dict[str, AbstractUser]) -> None:
    missing = [name for name in _get_only_pages(people) if name not in PAGES]
    assert not missing, (
        f"GET pages without a query ceiling: {missing}. Add them to PAGES in "
        "tests/test_query_budgets.py (or to EXEMPT, with the reason)."
    )


@pytest.mark.django_db
def test_the_budget_table_names_only_real_pages() -> None:
    # A renamed URL must not leave a ceiling that silently checks nothing.
    stale = sorted({name.split("@")[0] for name in (*PAGES, *EXEMPT)} - set(_url_names()))
    assert not stale, f"entries for URLs that no longer exist: {stale}"


def _measure(world: World, people: dict[str, AbstractUser]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    problems = []
    for name, page in PAGES.items():
        # "name@variant" measures the same URL with another query string.
        url = reverse(name.split("@")[0], kwargs=page.kwargs(world))
        if page.query:
            url += "?" + page.query.format(quiz=world.quiz.pk)
        for persona in page.personas:
            client = _client_for(persona, people)
            client.get(url)  # warm caches that are filled once, not per request
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{name} as {persona}: HTTP {response.status_code} for {url}")
                continue
            counts[(name, persona)] = len(captured)
    assert not problems, "pages that could not be measured:\n" + "\n".join(problems)
    return counts


@pytest.mark.django_db
def test_no_page_runs_more_queries_as_the_data_grows(
    people: dict[str, AbstractUser], cohort: Cohort
) -> None:
    world = _build(cohort, people["resident"], people["other_resident"], people["faculty"])
    small = _measure(world, people)

    _grow(world, LARGE - SMALL)
    assert Response.objects.count() >= 10 * LARGE
    large = _measure(world, people)

    grew = {key: (small[key], large[key]) for key in small if large[key] > small[key]}
    unexpected = {key: counts for key, counts in grew.items() if key[0] not in KNOWN_GROWTH}
    assert not unexpected, f"query counts grew with the data (5 -> 50 cases): {unexpected}"
    fixed = set(KNOWN_GROWTH) - {name for name, _ in grew}
    assert not fixed, f"no longer growing, remove from KNOWN_GROWTH: {sorted(fixed)}"
    over = {
        key: (n, PAGES[key[0]].ceiling)
        for key, n in large.items()
        if n > PAGES[key[0]].ceiling and key[0] not in KNOWN_GROWTH
    }
    assert not over, f"pages over their query ceiling (count, ceiling): {over}"
