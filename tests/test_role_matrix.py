"""Every URL the project serves, for every persona: the status each one gets.

The matrix is written out in docs/permissions.md. A URL that is added without a row here
fails `test_every_url_is_in_the_matrix`, so new pages cannot skip the permission review.
Legend: 200 page, 302 redirect (login for anonymous), 403 refused, 404 hidden, 405 wrong
method, 422 refused input.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from live.services import participant_join, session_step
from people.models import Invitation, token_digest
from quiz.models import Collection, CollectionItem, Response
from teachingfile import roles
from teachingfile.models import Case
from tests.factories import (
    AssignmentFactory,
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    CohortFactory,
    CommentFactory,
    FigureFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    ResponseFactory,
    make_live_session,
    make_user,
)

PERSONAS = (
    "anonymous",
    "resident",
    "other_resident",
    "faculty",
    "editor",
    "director",
    "other_director",
)

# name: (method, statuses in PERSONAS order). Anonymous users are sent to the login page.
LOGIN = 302
MATRIX: dict[str, tuple[str, tuple[int, ...]]] = {
    "teachingfile:home": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "teachingfile:healthz": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "teachingfile:case_list": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "teachingfile:case_detail": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "teachingfile:case_detail@draft": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "media_file": ("GET", (404, 404, 404, 404, 404, 404, 404)),
    "quiz:case_answer": ("POST", (LOGIN, 400, 400, 400, 400, 400, 400)),
    "quiz:case_retry": ("POST", (LOGIN, 302, 302, 302, 302, 302, 302)),
    # Comments come after the reveal: rosa has answered, oscar and the directors have not.
    # The empty form is refused (400) for those who may comment.
    "quiz:comment_add": ("POST", (LOGIN, 400, 403, 400, 400, 403, 403)),
    # Statistics flags: faculty only; the sample case has no flag, so an empty note is a 422.
    "quiz:flag_dismiss": ("POST", (LOGIN, 404, 404, 422, 422, 404, 404)),
    "quiz:self_assess": ("POST", (LOGIN, 302, 404, 404, 404, 404, 404)),
    "quiz:quiz_list": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "quiz:quiz_detail": ("GET", (LOGIN, 200, 404, 200, 200, 404, 404)),
    "quiz:quiz_start": ("POST", (LOGIN, 302, 404, 302, 302, 404, 404)),
    # Unfinished attempt: its owner is sent back to it; nobody else learns it exists.
    "quiz:attempt_results": ("GET", (LOGIN, 302, 404, 404, 404, 404, 404)),
    # A POST without the confirmation field shows the hand-in page and finishes nothing.
    "quiz:attempt_finish": ("POST", (LOGIN, 200, 404, 404, 404, 404, 404)),
    # Autosave is for exams: the sample attempt is a practice quiz, so 404 for all.
    "quiz:attempt_case_save": ("POST", (LOGIN, 404, 404, 404, 404, 404, 404)),
    # A resident's own progress: each resident sees only their own; other roles have none.
    "quiz:progress": ("GET", (LOGIN, 200, 200, 403, 403, 403, 403)),
    "quiz:attempt_case": ("GET", (LOGIN, 200, 404, 404, 404, 404, 404)),
    "quiz:attempt_case_answer": ("POST", (LOGIN, 400, 404, 404, 404, 404, 404)),
    "quiz:review_queue": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "quiz:review_answer": ("POST", (LOGIN, 404, 404, 404, 404, 404, 404)),
    # The sample response is a quiz answer, not a review one: 404 for all, owner included.
    "quiz:review_feedback": ("GET", (LOGIN, 404, 404, 404, 404, 404, 404)),
    "reports:reports_home": ("GET", (LOGIN, 404, 404, 302, 302, 200, 200)),
    "reports:cohort_csv": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    "reports:resident_detail": ("GET", (LOGIN, 404, 404, 404, 404, 200, 404)),
    "reports:resident_csv": ("GET", (LOGIN, 404, 404, 404, 404, 200, 404)),
    "reports:item_analysis": ("GET", (LOGIN, 404, 404, 200, 200, 200, 200)),
    "reports:item_csv": ("GET", (LOGIN, 404, 404, 200, 200, 200, 200)),
    "grading:grading_queue": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "grading:grade_response": ("POST", (LOGIN, 404, 404, 422, 422, 404, 404)),
    # Cohort management: the home cohort is dana's; dmitri directs the other program.
    "cohorts:cohort_list": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    "cohorts:cohort_detail": ("GET", (LOGIN, 404, 404, 404, 404, 200, 404)),
    "cohorts:member_add": ("POST", (LOGIN, 404, 404, 404, 404, 422, 404)),
    "cohorts:member_remove": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    "cohorts:assignment_add": ("POST", (LOGIN, 404, 404, 404, 404, 422, 404)),
    "cohorts:assignment_remove": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    "peer_review:review_queue": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "peer_review:case_review": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "peer_review:case_status": ("POST", (LOGIN, 404, 404, 302, 302, 404, 404)),
    "peer_review:case_rating": ("POST", (LOGIN, 404, 404, 422, 422, 404, 404)),
    "peer_review:comment_visibility": ("POST", (LOGIN, 404, 404, 302, 302, 404, 404)),
    "search:search": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "login": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "logout": ("POST", (302, 302, 302, 302, 302, 302, 302)),
    "password_change": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "password_change_done": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "password_reset": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "password_reset_done": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "password_reset_confirm": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "password_reset_complete": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    # People (issue 21): directors manage the residents of their programs; refusals of a
    # plain form post redirect back with the message. rosa is dana's resident, not dmitri's.
    "people:people_list": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    "people:invite": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    "people:import_cohort": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    "people:person_role": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    "people:person_deactivate": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    "people:person_reactivate": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    "people:invitation_resend": ("POST", (LOGIN, 404, 404, 404, 404, 302, 404)),
    # The link in an invitation e-mail works for whoever holds it, logged in or not.
    "people:invitation_accept": ("GET", (200, 200, 200, 200, 200, 200, 200)),
    "people:preferences": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "people:audit_log": ("GET", (LOGIN, 404, 404, 404, 404, 200, 200)),
    # Single sign-on is off in the tests: its two endpoints do not exist then.
    "oidc_authentication_init": ("GET", (404, 404, 404, 404, 404, 404, 404)),
    "oidc_authentication_callback": ("GET", (404, 404, 404, 404, 404, 404, 404)),
    # Live conference (docs/live.md): farid presents; rosa has joined, oscar has not; the
    # session belongs to dana's program. Question 1 is open; an empty post names no open
    # question (409, nothing stored).
    "live:index": ("GET", (LOGIN, 302, 302, 200, 200, 200, 200)),
    "live:session_start": ("POST", (LOGIN, 403, 403, 422, 422, 403, 403)),
    "live:join": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "live:join@post": ("POST", (LOGIN, 422, 422, 422, 422, 422, 422)),
    "live:participant": ("GET", (LOGIN, 200, 302, 302, 302, 302, 302)),
    "live:participant_stage": ("GET", (LOGIN, 200, 404, 404, 404, 404, 404)),
    "live:answer": ("POST", (LOGIN, 409, 404, 404, 404, 404, 404)),
    "live:present": ("GET", (LOGIN, 404, 404, 200, 404, 404, 404)),
    "live:present_stage": ("GET", (LOGIN, 404, 404, 200, 404, 404, 404)),
    "live:present_counts": ("GET", (LOGIN, 404, 404, 200, 404, 404, 404)),
    "live:control": ("POST", (LOGIN, 404, 404, 422, 404, 404, 404)),
    "live:results": ("GET", (LOGIN, 404, 404, 200, 404, 200, 404)),
    # Quiz builder (issue 18): faculty and editors; the sample quiz was built by nobody,
    # so only the editor may edit it. It has an attempt: its cases cannot be removed (422).
    "quiz:quiz_new": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "quiz:quiz_edit": ("GET", (LOGIN, 404, 404, 404, 200, 404, 404)),
    "quiz:quiz_copy": ("POST", (LOGIN, 404, 404, 404, 302, 404, 404)),
    "quiz:quiz_item_move": ("POST", (LOGIN, 404, 404, 404, 422, 404, 404)),
    "quiz:quiz_item_remove": ("POST", (LOGIN, 404, 404, 404, 422, 404, 404)),
    # Collections (issue 18): farid's collection is shared with rosa's cohort.
    "collections:collection_list": ("GET", (LOGIN, 200, 200, 200, 200, 200, 200)),
    "collections:collection_detail": ("GET", (LOGIN, 200, 404, 200, 404, 404, 404)),
    "collections:collection_quiz": ("POST", (LOGIN, 404, 404, 302, 404, 404, 404)),
    "collections:collection_remove": ("POST", (LOGIN, 404, 404, 302, 404, 404, 404)),
    # An empty form names no collection: refused, back to the case page with the message.
    "collections:collect": ("POST", (LOGIN, 302, 302, 302, 302, 302, 302)),
    # --- drawing (issue 16): the editor, for faculty who may edit the case. The sample
    # figure and region question are on farid's draft; an empty post sends no drawing (422).
    "drawing:figure_draw": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "drawing:figure_draw@post": ("POST", (LOGIN, 404, 404, 422, 422, 404, 404)),
    "drawing:question_regions": ("GET", (LOGIN, 404, 404, 200, 200, 404, 404)),
    "drawing:question_regions@post": ("POST", (LOGIN, 404, 404, 422, 422, 404, 404)),
    # --- end drawing
    # The admin: staff only; residents are not staff and are sent to the admin login.
    "admin:index": ("GET", (LOGIN, LOGIN, LOGIN, 200, 200, 200, 200)),
}


def _patterns(resolvers: list[Any], namespace: str = "") -> list[str]:
    names = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                names.append("admin:index")  # the admin is covered as one site
                continue
            names += _patterns(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def test_every_url_is_in_the_matrix() -> None:
    missing = sorted(set(_patterns(get_resolver().url_patterns)) - set(MATRIX))
    assert missing == [], f"Add these URLs to MATRIX and docs/permissions.md: {missing}"


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """Two programs, one cohort each, a published and a draft case, a quiz, an attempt."""
    roles.ensure_groups()
    people = {
        "resident": make_user("rosa", roles.RESIDENT),
        "other_resident": make_user("oscar", roles.RESIDENT),
        "faculty": make_user("farid", roles.FACULTY, is_staff=True),
        "editor": make_user("edith", roles.FACULTY, roles.EDITOR, is_staff=True),
        "director": make_user("dana", roles.DIRECTOR, is_staff=True),
        "other_director": make_user("dmitri", roles.DIRECTOR, is_staff=True),
    }
    home = CohortFactory(program=ProgramFactory(name="Home"))
    home.program.directors.add(people["director"])
    away = CohortFactory(program=ProgramFactory(name="Away"))
    away.program.directors.add(people["other_director"])
    membership = MembershipFactory(cohort=home, resident=people["resident"])
    MembershipFactory(cohort=away, resident=people["other_resident"])

    case = CaseFactory(owner=people["editor"])
    question = QuestionFactory(case=case)
    ChoiceFactory(question=question, is_correct=True)
    draft = CaseFactory(status=Case.Status.DRAFT, owner=people["faculty"])
    quiz = QuizFactory(is_open=False)
    QuizItemFactory(quiz=quiz, case=case)
    assignment = AssignmentFactory(quiz=quiz, cohort=home)
    attempt = AttemptFactory(user=people["resident"], quiz=quiz)
    response = ResponseFactory(
        attempt=attempt, question=question, score=None, method=Response.Method.PENDING
    )
    comment = CommentFactory(case=case, author=people["resident"])
    live = make_live_session(people["faculty"], [case], program=home.program)
    participant_join(code=live.code, user=people["resident"])
    session_step(session=live, action="next", by=people["faculty"])
    collection = Collection.objects.create(owner=people["faculty"], name="Shared", shared_with=home)
    CollectionItem.objects.create(collection=collection, case=case)
    return {
        "collection": collection,
        "live": live,
        "people": people,
        "case": case,
        "draft": draft,
        "quiz": quiz,
        "attempt": attempt,
        "response": response,
        "comment": comment,
        "cohort": home,
        "membership": membership,
        "assignment": assignment,
    }


def _url(name: str, w: dict[str, Any]) -> str:
    case, quiz, attempt = w["case"], w["quiz"], w["attempt"]
    args: dict[str, list[Any]] = {
        "teachingfile:case_detail": [case.public_id],
        "teachingfile:case_detail@draft": [w["draft"].public_id],
        "quiz:case_answer": [case.public_id],
        "quiz:case_retry": [case.public_id],
        "quiz:comment_add": [case.public_id],
        "quiz:flag_dismiss": [case.public_id],
        "quiz:self_assess": [w["response"].pk],
        "quiz:quiz_detail": [quiz.pk],
        "quiz:quiz_start": [quiz.pk],
        "quiz:attempt_results": [quiz.pk, attempt.pk],
        "quiz:attempt_finish": [quiz.pk, attempt.pk],
        "quiz:attempt_case": [quiz.pk, attempt.pk, 1],
        "quiz:attempt_case_answer": [quiz.pk, attempt.pk, 1],
        "quiz:attempt_case_save": [quiz.pk, attempt.pk, 1],
        "quiz:review_answer": [999999],
        "quiz:review_feedback": [w["response"].pk],
        "reports:resident_detail": [w["people"]["resident"].pk],
        "people:person_role": [w["people"]["resident"].pk],
        "people:person_deactivate": [w["people"]["resident"].pk],
        "people:person_reactivate": [w["people"]["resident"].pk],
        "people:invitation_resend": [w["people"]["resident"].pk],
        "reports:resident_csv": [w["people"]["resident"].pk],
        "grading:grade_response": [w["response"].pk],
        "cohorts:cohort_detail": [w["cohort"].pk],
        "cohorts:member_add": [w["cohort"].pk],
        "cohorts:member_remove": [w["cohort"].pk, w["membership"].pk],
        "cohorts:assignment_add": [w["cohort"].pk],
        "cohorts:assignment_remove": [w["cohort"].pk, w["assignment"].pk],
        "peer_review:case_review": [case.public_id],
        "peer_review:case_status": [case.public_id],
        "peer_review:case_rating": [case.public_id],
        "peer_review:comment_visibility": [w["comment"].pk],
        "quiz:quiz_edit": [quiz.pk],
        "quiz:quiz_copy": [quiz.pk],
        "quiz:quiz_item_move": [quiz.pk, quiz.items.first().pk],
        "quiz:quiz_item_remove": [quiz.pk, quiz.items.first().pk],
        "collections:collection_detail": [w["collection"].pk],
        "collections:collection_quiz": [w["collection"].pk],
        "collections:collection_remove": [w["collection"].pk, case.pk],
        "collections:collect": [case.public_id],
        "password_reset_confirm": ["MQ", "set-password"],
        **{
            f"live:{name}": [w["live"].code]
            for name in (
                "participant",
                "participant_stage",
                "answer",
                "present",
                "present_stage",
                "present_counts",
                "control",
                "results",
            )
        },
    }
    if name == "media_file":
        return "/media/no-such-file.png"
    # --- drawing (issue 16): made only for these rows (a figure costs an image encode).
    if name.startswith("drawing:figure_draw"):
        figure = FigureFactory(case=w["draft"])
        return reverse("drawing:figure_draw", args=[figure.pk])
    if name.startswith("drawing:question_regions"):
        region = QuestionFactory(case=w["draft"], kind="region")
        return reverse("drawing:question_regions", args=[region.pk])
    # --- end drawing
    if name == "people:invitation_accept":
        invited = make_user("nia", is_active=False)
        Invitation.objects.create(
            user=invited,
            token_hash=token_digest("matrix-token"),
            expires_at=timezone.now() + timedelta(days=1),
        )
        return reverse(name, args=["matrix-token"])
    return reverse(name.split("@")[0], args=args.get(name, []))


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_persona_gets_the_expected_status(client, world, name: str) -> None:  # type: ignore[no-untyped-def]
    method, expected = MATRIX[name]
    url = _url(name, world)
    got = []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world["people"][persona])
        response = client.get(url) if method == "GET" else client.post(url, {})
        got.append(response.status_code)
    assert dict(zip(PERSONAS, got, strict=True)) == dict(zip(PERSONAS, expected, strict=True))
