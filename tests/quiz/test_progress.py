"""A resident's own progress (/progress/), the marks on library cards and the quiz list,
the menu, the score summary and per-choice shares after the reveal, and the unknown view
of the review card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from quiz import services
from quiz.models import Attempt, Cohort, Quiz, ReviewCard
from quiz.reading import SHARE_MIN_RESPONDENTS
from teachingfile import roles
from teachingfile.models import Case, LabValue, Question
from tests.factories import (
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    MembershipFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    make_user,
    single_choice_case,
)

pytestmark = pytest.mark.django_db


def _case(**fields: object) -> tuple[Case, Question, object, object]:
    return single_choice_case(**fields)


def _answer(user: AbstractUser, case: Case, question: Question, choice: object) -> None:
    services.case_answer(
        user=user,
        case=case,
        answers={question.pk: services.Answer(frozenset({choice.pk}))},  # type: ignore[attr-defined]
    )


def test_progress_shows_topics_beside_the_cohort_and_agrees_with_the_director(
    client: Client, resident: AbstractUser, director: AbstractUser, cohort: Cohort
) -> None:
    peer = make_user("petra", roles.RESIDENT)
    MembershipFactory(cohort=cohort, resident=peer)
    ct = [_case(modalities="CT", region="chest", category="metabolic") for _ in range(2)]
    xr = _case(modalities="DX", region="musculoskeletal", category="metabolic")
    _answer(resident, ct[0][0], ct[0][1], ct[0][2])  # right
    _answer(resident, ct[1][0], ct[1][1], ct[1][3])  # wrong
    _answer(resident, xr[0], xr[1], xr[2])  # right
    _answer(peer, ct[0][0], ct[0][1], ct[0][3])  # the peer misses the CT case
    client.force_login(resident)
    page = client.get("/progress/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "petra" not in body.lower()  # no other resident's name
    mine = page.context["progress"]
    assert mine.cases_answered == 3 and mine.average == pytest.approx(2 / 3)
    ct_row = next(
        r for t in mine.topics if t["key"] == "modality" for r in t["rows"] if r["key"] == "CT"
    )
    assert ct_row["average"] == pytest.approx(0.5)
    assert ct_row["cohort_average"] == pytest.approx(1 / 3)  # rosa 1, 0; petra 0

    client.force_login(director)
    report = client.get(f"/reports/residents/{resident.pk}/")
    assert report.status_code == 200
    theirs = {t["key"]: t["rows"] for t in report.context["topics"]}
    for topic in mine.topics:
        assert [(r["key"], r["n"], r["average"]) for r in topic["rows"]] == [
            (r["key"], r["n"], r["average"]) for r in theirs[topic["key"]]
        ]


def test_a_running_exam_does_not_show_in_progress_until_handed_in(
    client: Client, resident: AbstractUser
) -> None:
    case, question, right, _wrong = _case()
    quiz = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20))
    QuizItemFactory(quiz=quiz, case=case)
    attempt = services.quiz_attempt_start(user=resident, quiz=quiz)
    services.exam_save(
        attempt=attempt, case=case, answers={question.pk: services.Answer(frozenset({right.pk}))}
    )
    client.force_login(resident)
    assert client.get("/progress/").context["progress"].cases_answered == 0
    assert "data-my-score" not in client.get("/cases/").content.decode()
    services.attempt_finish(attempt=attempt)
    assert client.get("/progress/").context["progress"].cases_answered == 1


def test_progress_lists_assigned_quizzes_with_status_and_due_date(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    due = timezone.now() + timedelta(days=3)
    started = QuizFactory(title="Started quiz", is_open=False)
    untouched = QuizFactory(title="Untouched quiz", is_open=False)
    done = QuizFactory(title="Done quiz", is_open=False)
    for quiz in (started, untouched, done):
        AssignmentFactory(quiz=quiz, cohort=cohort, due_at=due)
    Attempt.objects.create(user=resident, quiz=started)
    Attempt.objects.create(user=resident, quiz=done, finished_at=timezone.now(), score=0.5)
    client.force_login(resident)
    body = client.get("/progress/").content.decode()
    assert 'data-quiz-status="in-progress"' in body
    assert 'data-quiz-status="not-started"' in body
    assert "Handed in · 50 %" in body
    assert due.strftime("%Y") in body
    quizzes = client.get("/quizzes/").content.decode()
    assert quizzes.count("data-quiz-status") == 3 and "Handed in · 50 %" in quizzes


def test_library_cards_mark_answered_cases_with_the_score(
    client: Client, resident: AbstractUser
) -> None:
    answered, question, right, _wrong = _case(unknown_title="Answered one")
    _case(unknown_title="Untouched one")
    _answer(resident, answered, question, right)
    missed, missed_q, _right, wrong = _case(unknown_title="Missed one")
    _answer(resident, missed, missed_q, wrong)
    client.force_login(resident)
    body = client.get("/cases/").content.decode()
    assert body.count("data-my-score") == 2
    assert "Answered · 100 %" in body and "Answered · 0 %" in body
    # Cards on pages that do not ask for the score (the home page) show no mark.
    assert "data-my-score" not in client.get("/").content.decode()


def test_the_menu_offers_review_with_its_count_and_progress_to_residents_only(
    client: Client, resident: AbstractUser, faculty: AbstractUser
) -> None:
    _case_row, question, _right, wrong = _case()
    _answer(resident, _case_row, question, wrong)
    ReviewCard.objects.filter(user=resident).update(due=timezone.now() - timedelta(minutes=1))
    client.force_login(resident)
    body = client.get("/quizzes/").content.decode()
    assert "Practice review (1 due)</a>" in body and 'href="/progress/"' in body
    client.force_login(faculty)
    body = client.get("/quizzes/").content.decode()
    assert 'href="/progress/"' not in body
    assert client.get("/progress/").status_code == 403


@pytest.mark.parametrize("respondents", [SHARE_MIN_RESPONDENTS - 1, SHARE_MIN_RESPONDENTS])
def test_each_choice_shows_its_share_once_enough_residents_answered(
    client: Client, respondents: int
) -> None:
    case, question, right, wrong = _case()
    people = [make_user(f"r{n}", roles.RESIDENT) for n in range(respondents)]
    for n, person in enumerate(people):
        _answer(person, case, question, wrong if n == 0 else right)
    client.force_login(people[0])
    body = client.get(case.get_absolute_url()).content.decode()
    if respondents < SHARE_MIN_RESPONDENTS:
        assert "data-share" not in body
    else:
        assert body.count("data-share") == 2
        assert "80 % of residents" in body and "20 % of residents" in body


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_the_reveal_opens_with_the_score_summary_and_try_again(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    case = CaseFactory()
    questions = [QuestionFactory(case=case, order=n) for n in range(3)]
    picks = {}
    for n, question in enumerate(questions):
        right = ChoiceFactory(question=question, order=0, is_correct=True)
        wrong = ChoiceFactory(question=question, order=1)
        picks[f"q{question.pk}"] = (right if n < 2 else wrong).pk
    client.force_login(resident)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/cases/{case.public_id}/answer/", picks, headers=headers)
    body = (
        response.content.decode() if htmx else client.get(case.get_absolute_url()).content.decode()
    )
    assert "<strong>2 of 3</strong> · 67 %" in body
    top = body.index("data-score-summary")
    assert top < body.index("Try again") < body.index('id="reveal"')


def test_the_review_card_shows_the_unknown_view_with_lab_values(
    client: Client, resident: AbstractUser
) -> None:
    case, question, _right, wrong = _case(presentation="History says: listed below.")
    LabValue.objects.create(
        case=case, name="Serum phosphate", value="2.4", unit="mmol/L", shown_before_reveal=True
    )
    LabValue.objects.create(case=case, name="Secret marker", value="9", shown_before_reveal=False)
    _answer(resident, case, question, wrong)
    ReviewCard.objects.filter(user=resident).update(due=timezone.now() - timedelta(minutes=1))
    client.force_login(resident)
    body = client.get("/review/").content.decode()
    assert "History says: listed below." in body
    assert "Laboratory values" in body and "Serum phosphate" in body
    assert "Secret marker" not in body
