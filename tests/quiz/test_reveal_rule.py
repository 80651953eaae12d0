"""The reveal rule, asked everywhere: half an answer reveals nothing, on any page.

A progressive case gets a distinct marker word in every field that belongs to the reveal
(and in the questions not yet due). A resident answers Q1 only, then walks every page and
endpoint a resident can reach: the case page, the answer endpoint, search for each marker,
the library, home, quizzes, review, the CSV exports, every link and media URL those pages
hold. No marker may appear anywhere, and no URL may point at an annotated or reveal-stage
file. Once the last question is answered, the same markers do appear (the test can fail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz import rules
from quiz.models import Attempt, ReviewCard
from quiz.services import Answer, case_answer
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Reference,
)
from teachingfile.search.services import index_case
from tests.factories import (
    CaseFactory,
    ChoiceFactory,
    CommentFactory,
    FigureFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MARK = "zqxv"
_URL = re.compile(r"""(?:href|src|action|hx-get|hx-post|data-[a-z-]*src|poster)="([^"]+)\"""")


def _m(field: str) -> str:
    return f"{MARK}{field}"


@dataclass
class Planted:
    case: Case
    q1: Question
    q1_wrong: int
    q2: Question
    q2_right: int
    q3: Question
    secret_files: list[str]


def _plant() -> Planted:
    case = CaseFactory(
        progressive=True,
        unknown_title="Woman of 60 with leg pain",
        presentation="Painful nodules on both calves.",
        known_title=_m("knowntitle"),
        full_history=_m("fullhistory"),
        technique=_m("technique"),
        findings=_m("findings"),
        diagnosis=_m("diagnosis"),
        discussion=_m("discussion"),
        teaching_points=_m("teachingpoints"),
        follow_up=_m("followup"),
        acr_code=_m("acr"),
        credits=_m("credits"),
        authors=_m("authors"),
        companion_note=_m("companionnote"),
        unplaced=_m("unplaced"),
    )
    case.keywords.add(Keyword.objects.create(name=_m("keyword")))
    LabValue.objects.create(case=case, name="Sodium", value="140", shown_before_reveal=True)
    LabValue.objects.create(case=case, name=_m("labname"), value="7", shown_before_reveal=False)
    DifferentialDiagnosis.objects.create(case=case, diagnosis=_m("ddx"), note=_m("ddxnote"))
    Reference.objects.create(case=case, citation=_m("reference"))
    companion = CaseFactory(unknown_title="Another calf")
    case.companions.add(companion)

    shown = FigureFactory(
        case=case,
        stage=Figure.Stage.QUESTION,
        neutral_caption="Radiograph of the calves",
        caption=_m("caption"),
        annotated=True,
        shade=60,
    )
    later = FigureFactory(
        case=case,
        stage=Figure.Stage.REVEAL,
        alt_text=_m("revealalt"),
        neutral_caption=_m("revealneutral"),
        caption=_m("revealcaption"),
        shade=200,
    )
    secret_files = [
        name
        for name in (
            shown.annotated_image.name,
            shown.annotated_display.name,
            later.image.name,
            later.display.name,
            later.thumbnail.name,
        )
        if name
    ]

    q1 = QuestionFactory(
        case=case, order=1, prompt="What is the main finding?", explanation="Q1 feedback."
    )
    q1_wrong = ChoiceFactory(question=q1, order=0, text="Nothing", is_correct=False).pk
    ChoiceFactory(question=q1, order=1, text="Calcification", is_correct=True)
    # Q2 is due once Q1 is answered: its prompt and choices may show, its answer may not.
    q2 = QuestionFactory(
        case=case, order=2, prompt="Which diagnosis fits?", explanation=_m("q2explanation")
    )
    q2_right = ChoiceFactory(
        question=q2, order=0, text="The first option", rationale=_m("q2rationale"), is_correct=True
    ).pk
    ChoiceFactory(question=q2, order=1, text="The second option", is_correct=False)
    q3 = QuestionFactory(
        case=case,
        order=3,
        kind=Question.Kind.FREE_TEXT,
        prompt=_m("q3prompt"),
        explanation=_m("q3explanation"),
    )
    AcceptedAnswer.objects.create(question=q3, text=_m("q3accepted"), score=1)

    # A classmate who finished the case commented on it.
    classmate = UserFactory()
    CommentFactory(case=case, author=classmate, body=_m("comment"))
    index_case(case)
    index_case(companion)
    return Planted(case, q1, q1_wrong, q2, q2_right, q3, secret_files)


def _links(body: str, base: str) -> set[str]:
    found = set()
    for raw in _URL.findall(body):
        url = urljoin(base, raw.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(("/accounts/logout", "/admin/", "/static/")):
            continue
        found.add(path)
    return found


def _walk(client: Client, start: list[str], limit: int = 150) -> dict[str, str]:
    """GET every page reachable from `start` by links, as the logged-in user; bodies by URL."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.streaming:
            body = b"".join(response.streaming_content).decode("latin-1")
        else:
            body = response.content.decode("utf-8", "replace")
        seen[url] = body
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            queue += sorted(_links(body, url) - set(seen))
    return seen


def _without_query_echo(url: str, body: str) -> str:
    """A search page repeats the learner's own query: that is not a leak, a match would be."""
    if not url.startswith("/search/?q="):
        return body
    query = url.split("q=", 1)[1].split("&", 1)[0]
    for echo in (f'value="{query}"', f"“{query}”", f"q={query}"):
        body = body.replace(echo, "")
    return body


def _leaks(pages: dict[str, str], secret_files: list[str]) -> list[str]:
    problems = []
    for url, page in pages.items():
        body = _without_query_echo(url, page)
        lowered = body.lower()
        if MARK in lowered:
            at = lowered.index(MARK)
            problems.append(f"{url}: {body[max(0, at - 60) : at + 40]!r}")
        problems += [f"{url}: references {name}" for name in secret_files if name in body]
    return problems


def _resident_pages(planted: Planted, resident: AbstractUser) -> list[str]:
    case = planted.case
    searches = [
        f"/search/?q={_m(word)}"
        for word in (
            "knowntitle",
            "findings",
            "diagnosis",
            "discussion",
            "keyword",
            "ddx",
            "reference",
            "caption",
            "revealcaption",
            "q3prompt",
            "q2explanation",
            "q2rationale",
            "labname",
            "authors",
        )
    ]
    return [
        "/",
        "/cases/",
        case.get_absolute_url(),
        "/quizzes/",
        "/review/",
        "/progress/",
        "/reports/",
        "/reports/cohort.csv",
        "/reports/items/",
        "/reports/items/export.csv",
        f"/reports/residents/{resident.pk}/",
        f"/reports/residents/{resident.pk}/export.csv",
        *searches,
    ]


def test_half_an_answer_reveals_nothing_anywhere(resident: AbstractUser) -> None:
    planted = _plant()
    client = Client()
    client.force_login(resident)
    case = planted.case

    # Q1 only, answered wrong: it goes to the review queue as well.
    answer_page = client.post(
        f"/cases/{case.public_id}/answer/",
        {f"q{planted.q1.pk}": planted.q1_wrong},
        headers={"HX-Request": "true"},
    )
    assert answer_page.status_code == 200
    assert "Q1 feedback" in answer_page.content.decode()
    assert ReviewCard.objects.filter(user=resident, question=planted.q1).exists()
    pages = {"POST answer (htmx)": answer_page.content.decode()}

    # Comments are part of the reveal.
    comment = client.post(f"/cases/{case.public_id}/comments/", {"body": "Me too"})
    assert comment.status_code == 403
    pages["POST comment"] = comment.content.decode()

    # Review the missed Q1: its card, its feedback.
    pages |= _walk(client, _resident_pages(planted, resident))
    card = ReviewCard.objects.get(user=resident, question=planted.q1)
    reviewed = client.post(
        f"/review/{card.pk}/answer/", {f"q{planted.q1.pk}": planted.q1_wrong}, follow=True
    )
    pages["POST review answer"] = reviewed.content.decode()

    assert not rules.reveal_visible(resident, case)
    assert len(pages) > 20, sorted(pages)
    searches = {url: body for url, body in pages.items() if url.startswith(f"/search/?q={MARK}")}
    assert searches and all("0 cases for" in body for body in searches.values())
    assert _leaks(pages, planted.secret_files) == []

    # The last two answers earn the reveal: now the very same walk finds the markers.
    client.post(f"/cases/{case.public_id}/answer/", {f"q{planted.q2.pk}": planted.q2_right})
    client.post(f"/cases/{case.public_id}/answer/", {f"q{planted.q3.pk}": _m("q3accepted")})
    assert rules.reveal_visible(resident, case)
    after = _walk(client, [case.get_absolute_url(), f"/search/?q={_m('findings')}"])
    revealed = after[case.get_absolute_url()].lower()
    for word in ("knowntitle", "findings", "discussion", "ddx", "reference", "comment"):
        assert _m(word) in revealed, word
    assert _m("knowntitle") in after[f"/search/?q={_m('findings')}"].lower()
    assert any(name in revealed for name in planted.secret_files)
    # Text the importer could not place is for the author only, even after the reveal.
    assert _m("unplaced") not in revealed


def test_an_unfinished_exam_reveals_nothing_and_holds_an_earned_reveal_back(
    resident: AbstractUser,
) -> None:
    planted = _plant()
    case = planted.case
    # Earned in the library first...
    case_answer(
        user=resident, case=case, answers={planted.q1.pk: Answer(frozenset({planted.q1_wrong}))}
    )
    case_answer(
        user=resident, case=case, answers={planted.q2.pk: Answer(frozenset({planted.q2_right}))}
    )
    case_answer(user=resident, case=case, answers={planted.q3.pk: Answer(text="unsure")})
    assert rules.reveal_visible(resident, case)

    # ...then the case is part of an exam the resident is sitting: held back everywhere.
    from datetime import timedelta

    from quiz.models import Quiz
    from quiz.services import quiz_attempt_start

    exam = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=30), is_open=True)
    QuizItemFactory(quiz=exam, case=case)
    attempt = quiz_attempt_start(user=resident, quiz=exam)
    assert rules.exam_running(resident, case)
    assert not rules.reveal_visible(resident, case)

    client = Client()
    client.force_login(resident)
    exam_page = f"/quizzes/{exam.pk}/attempts/{attempt.pk}/cases/1/"
    pages = _walk(client, [*_resident_pages(planted, resident), exam_page])
    assert exam_page in pages
    assert _leaks(pages, planted.secret_files) == []

    # Handing the exam in releases it again.
    from quiz.services import attempt_finish

    attempt_finish(attempt=Attempt.objects.get(pk=attempt.pk))
    assert rules.reveal_visible(resident, case)
