"""The exam as a workspace: autosave, navigation, flags, deliberate hand-in, attempts policy.

Every endpoint is exercised with and without HX-Request. Time runs under a frozen clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Quiz, Response
from teachingfile.models import Question
from tests.factories import (
    AcceptedAnswerFactory,
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


def _exam(cases: int = 3, **fields: object):  # type: ignore[no-untyped-def]
    """An exam whose cases each ask one choice question and one free-text question."""
    fields.setdefault("time_limit", timedelta(minutes=20))
    quiz = QuizFactory(mode=Quiz.Mode.EXAM, **fields)
    rows = []
    for n in range(cases):
        case = CaseFactory(diagnosis=f"Exam diagnosis {n}", unknown_title=f"Unknown {n}")
        choice_q = QuestionFactory(case=case, order=1, prompt=f"Finding {n}?")
        right = ChoiceFactory(question=choice_q, order=0, is_correct=True, text=f"Right {n}")
        ChoiceFactory(question=choice_q, order=1, text=f"Wrong {n}")
        ChoiceFactory(question=choice_q, order=2, text=f"Other {n}")
        text_q = QuestionFactory(
            case=case, order=2, kind=Question.Kind.FREE_TEXT, prompt=f"Diagnosis {n}?"
        )
        AcceptedAnswerFactory(question=text_q, text=f"answer {n}")
        QuizItemFactory(quiz=quiz, case=case, order=n)
        rows.append((case, choice_q, right, text_q))
    return quiz, rows


def _start(client: Client, quiz: Quiz) -> Attempt:
    assert client.post(f"/quizzes/{quiz.pk}/start/").status_code == 302
    return Attempt.objects.filter(quiz=quiz).latest("started_at")


def _base(attempt: Attempt) -> str:
    return f"/quizzes/{attempt.quiz_id}/attempts/{attempt.pk}"


# ---------------------------------------------------------------- autosave


def test_autosave_with_htmx_stores_the_typed_text_and_says_when(
    client: Client, resident: AbstractUser
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
        _case, _q, _right, text_q = rows[0]
        saved = client.post(
            f"{_base(attempt)}/cases/1/save/", {f"q{text_q.pk}": "answer zer"}, headers=HX
        )
    body = saved.content.decode()
    assert saved.status_code == 200
    assert 'id="save-status"' in body and "Saved 09:00:00" in body
    assert 'id="attempt-steps" aria-label="Cases" hx-swap-oob="true"' in body
    assert "step-partly" in body  # one of the case's two questions is answered
    assert "Exam diagnosis 0" not in body and "answer 0" not in body
    assert Response.objects.get(question=text_q).answer_text == "answer zer"
    # A reload shows exactly what was typed.
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        page = client.get(f"{_base(attempt)}/cases/1/").content.decode()
    assert 'value="answer zer"' in page


def test_autosave_without_htmx_saves_and_returns_to_the_case(
    client: Client, resident: AbstractUser
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    _case, choice_q, right, _text_q = rows[1]
    saved = client.post(f"{_base(attempt)}/cases/2/save/", {f"q{choice_q.pk}": right.pk})
    assert saved.status_code == 302 and saved["Location"].endswith("/cases/2/#case-work")
    assert Response.objects.get(question=choice_q).score == 1.0


def test_clearing_an_answer_removes_what_was_saved(client: Client, resident: AbstractUser) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    _case, _q, _right, text_q = rows[0]
    client.post(f"{_base(attempt)}/cases/1/save/", {f"q{text_q.pk}": "gout"}, headers=HX)
    client.post(f"{_base(attempt)}/cases/1/save/", {f"q{text_q.pk}": ""}, headers=HX)
    assert not Response.objects.filter(question=text_q).exists()
    assert 'value=""' in client.get(f"{_base(attempt)}/cases/1/").content.decode()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_save_after_the_deadline_is_refused_and_stored_nowhere(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
    _case, _q, _right, text_q = rows[0]
    with time_machine.travel(START + timedelta(minutes=20, seconds=1), tick=False):
        refused = client.post(
            f"{_base(attempt)}/cases/1/save/",
            {f"q{text_q.pk}": "late words"},
            headers=HX if htmx else {},
        )
    assert refused.status_code == (422 if htmx else 409)
    assert "Time is up" in refused.content.decode()
    assert not Response.objects.filter(answer_text="late words").exists()


def test_the_deadline_closes_the_exam_with_what_was_saved(
    client: Client, resident: AbstractUser
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
    _case, choice_q, right, text_q = rows[0]
    with time_machine.travel(START + timedelta(minutes=19, seconds=59), tick=False):
        client.post(
            f"{_base(attempt)}/cases/1/save/",
            {f"q{choice_q.pk}": right.pk, f"q{text_q.pk}": "answer 0"},
            headers=HX,
        )
    with time_machine.travel(START + timedelta(minutes=25), tick=False):
        # The timer's expiry reloads the page: the server hands the exam in.
        assert client.get(f"{_base(attempt)}/cases/2/").status_code == 302
    attempt.refresh_from_db()
    assert attempt.finished_at == attempt.deadline
    kept = Response.objects.filter(attempt=attempt, score=1.0)
    assert set(kept.values_list("question", flat=True)) == {choice_q.pk, text_q.pk}
    assert attempt.score == pytest.approx(2 / 6)


def test_autosave_is_for_exams_only(client: Client, resident: AbstractUser) -> None:
    quiz, rows = _exam()
    quiz.mode = Quiz.Mode.PRACTICE
    quiz.save()
    client.force_login(resident)
    attempt = _start(client, quiz)
    response = client.post(f"{_base(attempt)}/cases/1/save/", {f"q{rows[0][3].pk}": "x"})
    assert response.status_code == 404 and not Response.objects.exists()


# ---------------------------------------------------------------- navigation and flags


@pytest.mark.parametrize(("go", "lands"), [("next", 3), ("prev", 1), ("stay", 2)])
def test_previous_and_next_save_the_case_and_move(
    client: Client, resident: AbstractUser, go: str, lands: int
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    _case, choice_q, right, _text_q = rows[1]
    moved = client.post(
        f"{_base(attempt)}/cases/2/answer/", {f"q{choice_q.pk}": right.pk, "go": go}
    )
    assert moved.status_code == 302
    assert moved["Location"].split("#")[0].endswith(f"/cases/{lands}/")
    assert Response.objects.get(question=choice_q).score == 1.0


def test_the_case_page_offers_previous_next_a_flag_and_hand_in_apart(
    client: Client, resident: AbstractUser
) -> None:
    quiz, _rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    page = client.get(f"{_base(attempt)}/cases/2/").content.decode()
    assert 'value="prev" data-prev-case' in page and "data-next-case" in page
    assert 'name="flag" value="1"' in page
    # Hand-in is a link to the confirmation page in the bar, not a button in the form.
    form = page[
        page.index("data-answer-form") : page.index("</form>", page.index("data-answer-form"))
    ]
    assert "Hand in" not in form
    assert f'href="{_base(attempt)}/finish/"' in page
    first = client.get(f"{_base(attempt)}/cases/1/").content.decode()
    assert "data-prev-case" not in first
    last = client.get(f"{_base(attempt)}/cases/3/").content.decode()
    assert "data-next-case" not in last and 'value="finish"' in last


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_case_is_flagged_and_unflagged(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    headers = HX if htmx else {}
    url = f"{_base(attempt)}/cases/2/save/"
    flagged = client.post(url, {"flag_shown": "1", "flag": "1"}, headers=headers)
    attempt.refresh_from_db()
    assert attempt.flagged == [rows[1][0].pk]
    if htmx:
        assert "step-flagged" in flagged.content.decode()
    page = client.get(f"{_base(attempt)}/cases/2/").content.decode()
    assert 'name="flag" value="1" checked' in page and "(unanswered, flagged)" in page
    client.post(url, {"flag_shown": "1"}, headers=headers)
    attempt.refresh_from_db()
    assert attempt.flagged == []


# ---------------------------------------------------------------- hand-in


def test_hand_in_asks_for_confirmation_listing_unanswered_and_flagged(
    client: Client, resident: AbstractUser
) -> None:
    quiz, rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    _case, choice_q, right, text_q = rows[0]
    client.post(
        f"{_base(attempt)}/cases/1/save/",
        {f"q{choice_q.pk}": right.pk, f"q{text_q.pk}": "answer 0"},
        headers=HX,
    )
    client.post(f"{_base(attempt)}/cases/3/save/", {"flag_shown": "1", "flag": "1"}, headers=HX)
    page = client.get(f"{_base(attempt)}/finish/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Not answered (2)" in body and "Flagged for review (1)" in body
    assert 'name="confirm" value="hand-in"' in body
    attempt.refresh_from_db()
    assert attempt.finished_at is None


def test_a_hand_in_post_without_confirmation_finishes_nothing(
    client: Client, resident: AbstractUser
) -> None:
    quiz, _rows = _exam()
    client.force_login(resident)
    attempt = _start(client, quiz)
    for headers in ({}, HX):
        page = client.post(f"{_base(attempt)}/finish/", {}, headers=headers)
        assert page.status_code == 200
        assert "Nothing was handed in" in page.content.decode()
    attempt.refresh_from_db()
    assert attempt.finished_at is None and not Response.objects.exists()
    done = client.post(f"{_base(attempt)}/finish/", {"confirm": "hand-in"})
    assert done.status_code == 302 and done["Location"] == f"{_base(attempt)}/"
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == 0


# ---------------------------------------------------------------- attempts policy


def test_a_finished_exam_cannot_be_restarted_past_its_allowance(
    client: Client, resident: AbstractUser
) -> None:
    quiz, _rows = _exam()
    assert quiz.attempts_allowed is None and quiz.attempt_limit == 1  # exams: once
    client.force_login(resident)
    attempt = _start(client, quiz)
    client.post(f"{_base(attempt)}/finish/", {"confirm": "hand-in"})
    again = client.post(f"/quizzes/{quiz.pk}/start/", follow=True)
    assert "You have used the 1 attempt this exam allows." in again.content.decode()
    assert Attempt.objects.filter(quiz=quiz).count() == 1
    detail = client.get(f"/quizzes/{quiz.pk}/").content.decode()
    assert "left: 0" in detail and 'action="/quizzes/' not in detail


def test_an_expired_exam_is_closed_and_then_refused(client: Client, resident: AbstractUser) -> None:
    quiz, _rows = _exam()
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        client.post(f"/quizzes/{quiz.pk}/start/")
    attempt.refresh_from_db()
    assert attempt.finished_at == attempt.deadline  # the refusal did not undo the close
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_a_quiz_allowing_two_attempts_allows_two(client: Client, resident: AbstractUser) -> None:
    quiz, _rows = _exam(attempts_allowed=2)
    client.force_login(resident)
    for _ in range(2):
        attempt = _start(client, quiz)
        client.post(f"{_base(attempt)}/finish/", {"confirm": "hand-in"})
    client.post(f"/quizzes/{quiz.pk}/start/")
    assert Attempt.objects.filter(quiz=quiz).count() == 2


def test_shuffled_cases_and_choices_keep_their_order_on_reload(
    client: Client, resident: AbstractUser
) -> None:
    quiz, rows = _exam(cases=6, shuffle_cases=True, shuffle_choices=True)
    client.force_login(resident)
    attempt = _start(client, quiz)
    assert sorted(attempt.case_order) == sorted(r[0].pk for r in rows)
    first_case = next(r for r in rows if r[0].pk == attempt.case_order[0])
    choice_q = first_case[1]
    order = attempt.choice_order[str(choice_q.pk)]
    assert sorted(order) == sorted(choice_q.choices.values_list("pk", flat=True))
    # Whatever the draw, the page follows what the attempt stores: reverse it to be sure.
    attempt.case_order = attempt.case_order[::-1]
    attempt.choice_order = {k: v[::-1] for k, v in attempt.choice_order.items()}
    attempt.save()
    first_case = next(r for r in rows if r[0].pk == attempt.case_order[0])
    order = attempt.choice_order[str(first_case[1].pk)]
    for _reload in range(2):
        page = client.get(f"{_base(attempt)}/cases/1/").content.decode()
        assert first_case[0].unknown_title in page
        shown = [page.index(f'value="{pk}"') for pk in order]
        assert shown == sorted(shown)  # the choices appear in the attempt's order
    # The reveal names the pick by the letter the learner saw, not the authored one.
    authored = list(first_case[1].choices.order_by("order").values_list("pk", flat=True))
    attempt.choice_order = {str(first_case[1].pk): authored[::-1]}
    attempt.save()
    last = authored[0]  # authored A, shown third: C
    client.post(f"{_base(attempt)}/cases/1/save/", {f"q{first_case[1].pk}": last}, headers=HX)
    client.post(f"{_base(attempt)}/finish/", {"confirm": "hand-in"})
    reveal = client.get(f"{_base(attempt)}/cases/1/").content.decode()
    assert '<span class="muted">Your answer:</span> C</p>' in reveal


def test_the_reveal_can_wait_for_the_due_date(
    client: Client, resident: AbstractUser, cohort: object
) -> None:
    quiz, _rows = _exam(reveal_before_due=False)
    AssignmentFactory(quiz=quiz, cohort=cohort, due_at=START + timedelta(days=2))
    client.force_login(resident)
    with time_machine.travel(START, tick=False):
        attempt = _start(client, quiz)
        client.post(f"{_base(attempt)}/finish/", {"confirm": "hand-in"})
        page = client.get(f"{_base(attempt)}/cases/1/").content.decode()
        results = client.get(f"{_base(attempt)}/").content.decode()
    assert "Exam diagnosis 0" not in page and "open after the due date" in page
    assert "Exam diagnosis 0" not in results and "Right 0" not in page.split("Your answer")[0]
    with time_machine.travel(START + timedelta(days=3), tick=False):
        page = client.get(f"{_base(attempt)}/cases/1/").content.decode()
    assert "Exam diagnosis 0" in page
