"""XSS: hostile text from authors and learners is shown as text, never run, on every page.

Every text field gets a visible marker (so the test knows the field was really rendered
on the page it checks) followed by a payload mixing the usual vectors. A page passes when
its markers are in the visible text and `hostile_markup` finds nothing executable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Cohort, Response
from teachingfile.models import (
    Case,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Reference,
)
from tests.factories import (
    AcceptedAnswerFactory,
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    CommentFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    RatingFactory,
)
from tests.security.hostile import hostile_markup, visible_text

PAYLOAD = (
    '<script>alert("tfx")</script><img src=x onerror=alert("tfx")>'
    '"\'><svg onload=alert(1)><a href="javascript:alert(1)">j</a>'
    "[md link](javascript:alert(1)) <iframe src=//evil.example></iframe>"
)
# For fields of 40-60 characters.
SHORT = '"><img src=x onerror=alert(1)>'


def hostile(marker: str) -> str:
    return f"{marker} {PAYLOAD}"


@dataclass
class HostileCase:
    case: Case
    choice_question: Question
    text_question: Question
    right_choice_id: int


@pytest.fixture
def hostile_case(faculty: AbstractUser, cohort: Cohort) -> HostileCase:
    case = CaseFactory(
        unknown_title=hostile("MK-unknown-title")[:200],
        presentation=hostile("MK-presentation"),
        known_title=hostile("MK-known-title")[:200],
        full_history=hostile("MK-full-history"),
        technique=hostile("MK-technique"),
        findings=hostile("MK-findings"),
        diagnosis=hostile("MK-diagnosis")[:300],
        discussion=hostile("MK-discussion"),
        teaching_points=hostile("MK-teaching-points"),
        follow_up=hostile("MK-follow-up"),
        authors=hostile("MK-authors"),
        credits=hostile("MK-credits"),
        source_citation=hostile("MK-source-citation"),
        licence=hostile("MK-licence")[:300],
        acr_code='"><b onclick=1>',
        owner=faculty,
    )
    LabValue.objects.create(
        case=case,
        name=hostile("MK-lab-name")[:120],
        value="MKlv" + SHORT,
        unit='"><b onclick=1>',
        reference_range="MKrr" + SHORT,
        shown_before_reveal=True,
    )
    DifferentialDiagnosis.objects.create(
        case=case, diagnosis=hostile("MK-differential")[:200], note=hostile("MK-ddx-note")
    )
    Reference.objects.create(
        case=case, citation=hostile("MK-reference"), doi="10.1/" + SHORT, pmid="1<b onclick=1>"
    )
    Figure.objects.create(
        case=case,
        label="MKlabel" + SHORT,
        alt_text=hostile("MK-alt-text")[:300],
        neutral_caption=hostile("MK-neutral-caption")[:300],
        caption=hostile("MK-caption"),
        image="figures/none.png",
        display="figures/none.png",
        stage=Figure.Stage.QUESTION,
    )
    case.keywords.add(Keyword.objects.create(name="MKkw" + SHORT))
    choice_question = QuestionFactory(
        case=case,
        order=1,
        prompt=hostile("MK-prompt"),
        explanation=hostile("MK-explanation"),
    )
    right = ChoiceFactory(
        question=choice_question,
        text=hostile("MK-choice-right")[:300],
        rationale=hostile("MK-rationale"),
        is_correct=True,
    )
    ChoiceFactory(question=choice_question, text=hostile("MK-choice-wrong")[:300])
    text_question = QuestionFactory(
        case=case, order=2, kind=Question.Kind.FREE_TEXT, prompt=hostile("MK-free-prompt")
    )
    AcceptedAnswerFactory(question=text_question, text="calciphylaxis")
    RatingFactory(case=case, rater=faculty, note=hostile("MK-rating-note"))
    quiz = QuizFactory(title=hostile("MK-quiz-title")[:200], description=hostile("MK-quiz-desc"))
    QuizItemFactory(quiz=quiz, case=case)
    AssignmentFactory(quiz=quiz, cohort=cohort)
    try:
        from teachingfile.search.services import index_case
    except ImportError:  # search not installed yet: nothing to index
        pass
    else:
        index_case(case)
    return HostileCase(case, choice_question, text_question, right.pk)


def _check(response: object, *markers: str) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    assert hostile_markup(html) == []
    text = visible_text(html)
    missing = [m for m in markers if m not in text]
    assert missing == [], f"not shown: {missing}"
    return html


def _answer(client: Client, hc: HostileCase, *, htmx: bool = False) -> object:
    return client.post(
        f"/cases/{hc.case.public_id}/answer/",
        {
            f"q{hc.choice_question.pk}": hc.right_choice_id,
            f"q{hc.text_question.pk}": hostile("MK-free-answer"),
        },
        headers={"HX-Request": "true"} if htmx else {},
    )


def test_the_unknown_case_shows_hostile_text_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _check(client.get("/cases/"), "MK-unknown-title")
    _check(
        client.get(hostile_case.case.get_absolute_url()),
        "MK-unknown-title",
        "MK-presentation",
        "MK-neutral-caption",
        "MK-prompt",
        "MK-choice-right",
        "MK-free-prompt",
        "MK-lab-name",
    )


def test_the_reveal_shows_hostile_text_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    CommentFactory(case=hostile_case.case, body=hostile("MK-comment"))
    assert _answer(client, hostile_case).status_code == 302
    _check(
        client.get(hostile_case.case.get_absolute_url()),
        "MK-known-title",
        "MK-full-history",
        "MK-findings",
        "MK-diagnosis",
        "MK-differential",
        "MK-discussion",
        "MK-teaching-points",
        "MK-follow-up",
        "MK-reference",
        "MK-explanation",
        "MK-rationale",
        "MK-caption",
        "MK-comment",
        "MK-free-answer",
    )


def test_the_htmx_reveal_fragment_shows_hostile_text_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _check(_answer(client, hostile_case, htmx=True), "MK-findings", "MK-free-answer")


def test_a_hostile_comment_posted_by_a_learner_is_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _answer(client, hostile_case)
    posted = client.post(
        f"/cases/{hostile_case.case.public_id}/comments/", {"body": hostile("MK-posted")}
    )
    assert posted.status_code == 302
    _check(client.get(hostile_case.case.get_absolute_url()), "MK-posted")


def test_quiz_pages_show_hostile_titles_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _check(client.get("/quizzes/"), "MK-quiz-title")
    quiz = hostile_case.case.quizzes.get()
    _check(client.get(f"/quizzes/{quiz.pk}/"), "MK-quiz-title", "MK-quiz-desc")
    _check(client.get("/"))


def test_reports_show_learner_answers_inert(
    client: Client,
    resident: AbstractUser,
    director: AbstractUser,
    faculty: AbstractUser,
    hostile_case: HostileCase,
) -> None:
    resident.first_name = "MK-first-name" + SHORT
    resident.save(update_fields=["first_name"])
    cohort = resident.memberships.get().cohort
    cohort.name = hostile("MK-cohort")[:200]
    cohort.save(update_fields=["name"])
    cohort.program.name = hostile("MK-program")[:200]
    cohort.program.save(update_fields=["name"])
    client.force_login(resident)
    _answer(client, hostile_case)
    client.force_login(director)
    _check(client.get("/reports/"), "MK-first-name")
    _check(client.get(f"/reports/residents/{resident.pk}/"), "MK-first-name")
    _check(client.get("/reports/items/"))
    _check(client.get("/cohorts/"), "MK-cohort", "MK-program")
    _check(client.get(f"/cohorts/{cohort.pk}/"), "MK-cohort", "MK-first-name")
    client.force_login(faculty)
    _check(client.get(hostile_case.case.get_absolute_url() + "peer-review/"), "MK-known-title")


def test_the_grading_queue_shows_free_text_inert(
    client: Client, resident: AbstractUser, faculty: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _answer(client, hostile_case)
    Response.objects.filter(question=hostile_case.text_question).update(
        method=Response.Method.PENDING, score=None
    )
    client.force_login(faculty)
    _check(client.get("/grading/"), "MK-free-answer")


def test_search_results_show_hostile_text_inert(
    client: Client, resident: AbstractUser, hostile_case: HostileCase
) -> None:
    client.force_login(resident)
    _check(client.get("/search/", {"q": "presentation"}), "MK-unknown-title")
    # The query itself is echoed back in the search box and the heading.
    _check(client.get("/search/", {"q": PAYLOAD}))


@pytest.mark.parametrize(
    ("path", "markers"),
    [
        ("/admin/teachingfile/case/", ["MK-unknown-title"]),
        ("/admin/teachingfile/comment/", []),
        ("/admin/teachingfile/question/", []),
        ("/admin/quiz/quiz/", ["MK-quiz-title"]),
        ("/admin/quiz/response/", []),
    ],
)
def test_admin_lists_show_hostile_text_inert(
    client: Client,
    resident: AbstractUser,
    editor: AbstractUser,
    hostile_case: HostileCase,
    path: str,
    markers: list[str],
) -> None:
    CommentFactory(case=hostile_case.case, body=hostile("MK-comment"))
    client.force_login(resident)
    _answer(client, hostile_case)
    editor.is_superuser = True
    editor.save(update_fields=["is_superuser"])
    client.force_login(editor)
    _check(client.get(path), *markers)


def test_admin_forms_show_hostile_text_inert(
    client: Client, editor: AbstractUser, hostile_case: HostileCase
) -> None:
    comment = CommentFactory(case=hostile_case.case, body=hostile("MK-comment"))
    editor.is_superuser = True
    editor.save(update_fields=["is_superuser"])
    client.force_login(editor)
    # Form fields carry the text as escaped values, so the markers are in the markup.
    pages = {
        f"/admin/teachingfile/case/{hostile_case.case.pk}/change/": "MK-findings",
        f"/admin/teachingfile/question/{hostile_case.choice_question.pk}/change/": "MK-rationale",
        f"/admin/teachingfile/comment/{comment.pk}/change/": "MK-comment",
    }
    for path, marker in pages.items():
        assert marker in _check(client.get(path))


@pytest.mark.parametrize(
    "html",
    [
        '<img src=x onerror=alert("tfx")>',
        "<script>alert(1)</script>",
        '<a href=" javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe src=//evil.example></iframe>",
        '<script src="https://evil.example/x.js"></script>',
    ],
)
def test_the_checker_catches_each_vector_when_it_is_not_escaped(html: str) -> None:
    """The control: the page checks above would fail if a payload reached the markup."""
    assert hostile_markup(f"<p>{html}</p>") != []
    assert hostile_markup(f"<p>{html.replace('<', '&lt;')}</p>") == []


IMPORTED = f"""# MK-imported-title {PAYLOAD}

## History
MK-imported-history {PAYLOAD}

## Findings
MK-imported-findings {PAYLOAD}

## Diagnosis
MK-imported-diagnosis <img src=x onerror=alert(1)>

## Discussion
MK-imported-discussion {PAYLOAD}

## References
1. MK-imported-reference {PAYLOAD}
"""


def test_an_imported_write_up_with_hostile_text_and_name_is_inert_everywhere(
    client: Client, editor: AbstractUser
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor.is_superuser = True
    editor.save(update_fields=["is_superuser"])
    client.force_login(editor)
    upload = SimpleUploadedFile(
        '"><img src=x onerror=alert(1)>.md', IMPORTED.encode(), content_type="text/markdown"
    )
    report = client.post("/admin/teachingfile/case/import/", {"files": [upload]})
    # The per-file report names the file and what went where: all of it as text.
    report_html = _check(report)
    assert "onerror=alert(1)&gt;.md" in report_html or "onerror=alert(1)&gt;" in report_html
    case = Case.objects.get()
    _check(client.get("/admin/teachingfile/case/"))
    assert "MK-imported-findings" in _check(
        client.get(f"/admin/teachingfile/case/{case.pk}/change/")
    )
    _check(
        client.get(case.get_absolute_url(), {"reveal": "1"}),
        "MK-imported-history",
        "MK-imported-findings",
        "MK-imported-discussion",
    )
