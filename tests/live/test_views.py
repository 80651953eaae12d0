"""The live session's rules, each on the htmx path and the plain one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from django.test import Client

from live.models import LiveSession, Participant
from quiz.models import Attempt, Response, ReviewCard
from tests.factories import QuizFactory, QuizItemFactory, make_live_session, make_user
from tests.live.conftest import Room, htmx, join

BOTH = pytest.mark.parametrize("hx", [True, False], ids=["htmx", "plain"])


def _answer(client: Client, room: Room, question: object, value: object, hx: bool) -> object:
    data = {"question": question.pk, f"q{question.pk}": value}  # type: ignore[attr-defined]
    return client.post(f"/live/{room.session.code}/answer/", data, headers=htmx(hx))


# ---------------------------------------------------------------- starting


@BOTH
def test_faculty_start_a_session_from_a_quiz(
    client: Client, faculty: AbstractUser, room: Room, hx: bool
) -> None:
    quiz = QuizFactory(title="Board review")
    QuizItemFactory(quiz=quiz, case=room.second, order=0)
    QuizItemFactory(quiz=quiz, case=room.first, order=1)
    client.force_login(faculty)
    response = client.post("/live/start/", {"quiz": quiz.pk}, headers=htmx(hx))
    session = LiveSession.objects.exclude(pk=room.session.pk).get()
    target = f"/live/{session.code}/present/"
    if hx:
        assert response.status_code == 200 and response["HX-Redirect"] == target
    else:
        assert response.status_code == 302 and response["Location"] == target
    assert session.plan == [
        [room.q2.pk, room.second.pk],
        [room.q3.pk, room.second.pk],
        [room.q1.pk, room.first.pk],
    ]
    assert session.title == "Board review"


@BOTH
def test_faculty_start_from_hand_picked_cases_and_bad_ids_are_refused(
    client: Client, faculty: AbstractUser, room: Room, hx: bool
) -> None:
    client.force_login(faculty)
    bad = client.post("/live/start/", {"cases": "tf-9999", "title": "Mine"}, headers=htmx(hx))
    assert bad.status_code == 422
    assert b"No published case with id tf-9999" in bad.content
    assert b'value="Mine"' in bad.content  # the form comes back as typed
    assert LiveSession.objects.count() == 1
    ok = client.post(
        "/live/start/",
        {"cases": f"{room.first.public_id}, {room.second.public_id}"},
        headers=htmx(hx),
    )
    assert ok.status_code == (200 if hx else 302)
    assert LiveSession.objects.count() == 2


def test_residents_cannot_present(client: Client, resident: AbstractUser, room: Room) -> None:
    client.force_login(resident)
    assert client.post("/live/start/", {"cases": room.first.public_id}).status_code == 403
    assert client.get(f"/live/{room.session.code}/present/").status_code == 404
    assert (
        client.post(f"/live/{room.session.code}/present/control/", {"action": "next"}).status_code
        == 404
    )
    assert room.refresh().step == LiveSession.Step.LOBBY


def test_other_faculty_cannot_drive_someone_elses_session(
    client: Client, other_faculty: AbstractUser, room: Room
) -> None:
    client.force_login(other_faculty)
    assert client.get(f"/live/{room.session.code}/present/").status_code == 404
    assert (
        client.post(f"/live/{room.session.code}/present/control/", {"action": "next"}).status_code
        == 404
    )


# ---------------------------------------------------------------- joining


@BOTH
def test_a_wrong_code_gets_a_clear_message(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    client.force_login(resident)
    response = client.post("/live/join/", {"code": "NOPE42"}, headers=htmx(hx))
    assert response.status_code == 422
    assert b"No live session has that code" in response.content
    assert b'value="NOPE42"' in response.content
    assert not Participant.objects.exists()


@BOTH
def test_an_ended_code_is_refused(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    room.step("end")
    client.force_login(resident)
    response = client.post("/live/join/", {"code": room.session.code}, headers=htmx(hx))
    assert response.status_code == 422
    assert b"That session has ended" in response.content


@BOTH
def test_joining_makes_one_conference_attempt(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    client.force_login(resident)
    code = room.session.code.lower()  # typed in lower case, with spaces
    for _ in range(2):
        response = client.post("/live/join/", {"code": f" {code} "}, headers=htmx(hx))
        target = f"/live/{room.session.code}/"
        assert (response["HX-Redirect"] if hx else response["Location"]) == target
    participant = Participant.objects.get()
    assert participant.attempt.kind == Attempt.Kind.CONFERENCE
    assert Attempt.objects.count() == 1


def test_the_qr_code_link_prefills_the_code(
    client: Client, resident: AbstractUser, room: Room
) -> None:
    client.force_login(resident)
    page = client.get(f"/live/join/?code={room.session.code}")
    assert f'value="{room.session.code}"'.encode() in page.content


def test_the_session_page_sends_a_newcomer_to_the_join_form(
    client: Client, resident: AbstractUser, room: Room
) -> None:
    client.force_login(resident)
    response = client.get(f"/live/{room.session.code}/")
    assert response.status_code == 302 and response["Location"].endswith(
        f"?code={room.session.code}"
    )
    assert client.get(f"/live/{room.session.code}/stage/").status_code == 404


# ---------------------------------------------------------------- answering


@BOTH
def test_an_answer_is_an_ordinary_scored_response_and_can_change_until_closed(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    room.step("next")
    first = _answer(client, room, room.q1, room.wrong.pk, hx)
    assert first.status_code == (200 if hx else 302)
    response = Response.objects.get()
    assert (response.score, response.attempt.kind, response.case_id) == (
        0.0,
        Attempt.Kind.CONFERENCE,
        room.first.pk,
    )
    assert response.is_first_attempt and response.shown_at is not None
    _answer(client, room, room.q1, room.right.pk, hx)
    response = Response.objects.get()
    assert response.score == 1.0 and list(response.choices.all()) == [room.right]
    page = client.get(f"/live/{room.session.code}/")
    assert b"Change my answer" in page.content


@BOTH
def test_an_answer_to_a_closed_question_is_409_and_nothing_is_stored(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    room.step("next", "next")  # opened, then closed
    response = _answer(client, room, room.q1, room.right.pk, hx)
    assert response.status_code == 409
    assert b"This question is closed" in response.content
    assert not Response.objects.exists()


@BOTH
def test_an_answer_to_a_question_not_yet_open_is_409(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    room.step("next")
    assert _answer(client, room, room.q2, room.right.pk, hx).status_code == 409
    assert not Response.objects.exists()


@BOTH
def test_a_changed_answer_after_the_close_is_refused_and_the_first_stands(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    room.step("next")
    _answer(client, room, room.q1, room.wrong.pk, hx)
    room.step("next")
    assert _answer(client, room, room.q1, room.right.pk, hx).status_code == 409
    assert Response.objects.get().score == 0.0


@BOTH
def test_a_blank_answer_is_422_with_the_form(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    room.step("next")
    response = client.post(
        f"/live/{room.session.code}/answer/", {"question": room.q1.pk}, headers=htmx(hx)
    )
    assert response.status_code == 422
    assert b"Give an answer" in response.content and b'id="live-stage"' in response.content
    assert not Response.objects.exists()


def test_someone_who_did_not_join_cannot_answer(
    client: Client, other_resident: AbstractUser, room: Room
) -> None:
    room.step("next")
    client.force_login(other_resident)
    assert _answer(client, room, room.q1, room.right.pk, False).status_code == 404
    assert not Response.objects.exists()


def test_faculty_cannot_join_as_participants(
    client: Client, faculty: AbstractUser, room: Room
) -> None:
    client.force_login(faculty)
    assert client.post("/live/join/", {"code": room.session.code}).status_code == 403


# ---------------------------------------------------------------- records


def test_a_miss_enters_the_review_queue_when_the_question_closes(
    client: Client, resident: AbstractUser, other_resident: AbstractUser, room: Room
) -> None:
    join(client, resident, room)
    other = Client()
    join(other, other_resident, room)
    room.step("next")
    _answer(client, room, room.q1, room.wrong.pk, False)
    _answer(other, room, room.q1, room.right.pk, False)
    assert not ReviewCard.objects.exists()  # the answer may still change
    room.step("next")
    card = ReviewCard.objects.get()
    assert (card.user, card.question) == (resident, room.q1)
    with time_machine.travel(card.due + timedelta(minutes=1)):
        queue = client.get("/review/")
    assert queue.status_code == 200 and b"Which finding" in queue.content


def test_ending_finishes_every_attempt_with_its_score(
    client: Client, resident: AbstractUser, room: Room
) -> None:
    join(client, resident, room)
    room.step("next")
    _answer(client, room, room.q1, room.right.pk, False)
    room.step("next", "next", "next", "next")  # closed, spread, reveal, question 2 open
    _answer(client, room, room.q2, room.q2.choices.last().pk, False)
    room.step("end")
    attempt = Participant.objects.get().attempt
    assert attempt.is_finished and attempt.score == 0.5
    assert ReviewCard.objects.filter(question=room.q2).count() == 1
    page = client.get(f"/live/{room.session.code}/")
    assert b"The session has ended" in page.content


def test_the_presenter_steps_through_each_question_and_never_reopens_one(room: Room) -> None:
    steps = []
    for _ in range(9):
        room.step("next")
        steps.append((room.session.position, room.session.step))
    assert steps == [
        (0, "open"),
        (0, "closed"),
        (0, "distribution"),
        (0, "reveal"),
        (1, "open"),
        (1, "closed"),
        (1, "distribution"),
        (1, "reveal"),
        (2, "open"),
    ]
    room.step("previous")
    assert (room.session.position, room.session.step) == (1, "reveal")
    room.step("next")
    assert (room.session.position, room.session.step) == (2, "reveal")
    version = room.session.version
    room.step("next")  # last question: nothing further
    assert room.session.version == version


# ---------------------------------------------------------------- polling


@BOTH
def test_the_phone_poll_is_304_until_the_presenter_moves(
    client: Client, resident: AbstractUser, room: Room, hx: bool
) -> None:
    join(client, resident, room)
    url = f"/live/{room.session.code}/stage/"
    first = client.get(url, headers=htmx(hx))
    assert first.status_code == 200 and first["ETag"]
    assert (b"<html" in first.content) is not hx  # a fragment for htmx, the page otherwise
    same = client.get(url, headers={**htmx(hx), "If-None-Match": first["ETag"]})
    assert same.status_code == 304 and same.content == b""
    room.step("next")
    moved = client.get(url, headers={**htmx(hx), "If-None-Match": first["ETag"]})
    assert moved.status_code == 200 and moved["ETag"] != first["ETag"]
    assert b"Which finding" in moved.content


@BOTH
def test_the_big_screen_counts_change_with_each_answer_and_the_step_poll_does_not(
    client: Client, faculty: AbstractUser, resident: AbstractUser, room: Room, hx: bool
) -> None:
    phone = Client()
    join(phone, resident, room)
    room.step("next")
    client.force_login(faculty)
    url = f"/live/{room.session.code}/present/counts/"
    before = client.get(url, headers=htmx(hx))
    assert b"<strong data-live-answers>0</strong>" in before.content
    assert client.get(url, headers={**htmx(hx), "If-None-Match": before["ETag"]}).status_code == 304
    _answer(phone, room, room.q1, room.right.pk, True)
    after = client.get(url, headers={**htmx(hx), "If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert b"<strong data-live-answers>1</strong>" in after.content
    # The step poll (the case, the viewer) stays put while answers arrive.
    step_url = f"/live/{room.session.code}/present/stage/?case={room.first.pk}"
    step = client.get(step_url, headers=htmx(hx))
    _answer(phone, room, room.q1, room.wrong.pk, True)
    assert (
        client.get(step_url, headers={**htmx(hx), "If-None-Match": step["ETag"]}).status_code == 304
    )


def test_the_big_screen_sends_the_new_case_out_of_band_only_when_it_changes(
    client: Client, faculty: AbstractUser, room: Room
) -> None:
    client.force_login(faculty)
    room.step("next")
    url = f"/live/{room.session.code}/present/stage/"
    same = client.get(f"{url}?case={room.first.pk}", headers=htmx(True)).content.decode()
    assert 'id="present-case"' not in same
    other = client.get(f"{url}?case={room.second.pk}", headers=htmx(True)).content.decode()
    assert 'id="present-case" class="live-case" hx-swap-oob="true"' in other


@BOTH
def test_the_presenter_drives_with_the_control_endpoint(
    client: Client, faculty: AbstractUser, room: Room, hx: bool
) -> None:
    client.force_login(faculty)
    url = f"/live/{room.session.code}/present/control/"
    response = client.post(url, {"action": "next", "case": ""}, headers=htmx(hx))
    assert response.status_code == (200 if hx else 302)
    assert room.refresh().step == "open"
    if hx:
        assert b'id="present-stage"' in response.content and b"Which finding" in response.content
    bad = client.post(url, {"action": "jump"}, headers=htmx(hx))
    assert bad.status_code == 422 and room.refresh().step == "open"


def test_the_big_screen_shows_the_join_code_and_a_qr_code(
    client: Client, faculty: AbstractUser, room: Room
) -> None:
    client.force_login(faculty)
    page = client.get(f"/live/{room.session.code}/present/").content.decode()
    assert room.session.code in page
    assert f"/live/join/?code={room.session.code}" in page
    assert "<svg" in page and 'class="segno"' in page


# ---------------------------------------------------------------- results


def test_results_show_attendance_and_scores_to_the_programs_director(
    client: Client, director: AbstractUser, resident: AbstractUser, room: Room
) -> None:
    phone = Client()
    join(phone, resident, room)
    room.step("next")
    _answer(phone, room, room.q1, room.right.pk, False)
    client.force_login(director)
    listing = client.get("/live/").content.decode()
    assert room.session.title in listing and f"/live/{room.session.code}/results/" in listing
    page = client.get(f"/live/{room.session.code}/results/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "rosa" in body and "1.00" in body


def test_results_are_hidden_from_other_programs_and_other_faculty(
    client: Client, other_faculty: AbstractUser, room: Room
) -> None:
    other_director = make_user("dmitri", "Program director", is_staff=True)
    for user in (other_faculty, other_director):
        client.force_login(user)
        assert client.get(f"/live/{room.session.code}/results/").status_code == 404
        assert room.session.code not in client.get("/live/").content.decode()


def test_a_poll_token_answers_304_without_the_login_but_only_for_its_own_session(
    client: Client, resident: AbstractUser, faculty: AbstractUser, room: Room
) -> None:
    join(client, resident, room)
    page = client.get(f"/live/{room.session.code}/").content.decode()
    token = re.search(r"/stage/\?t=([^\"&]+)", page).group(1)  # type: ignore[union-attr]
    etag = client.get(f"/live/{room.session.code}/stage/").headers["ETag"]
    stranger = Client()  # not logged in at all
    url = f"/live/{room.session.code}/stage/?t={token}"
    assert stranger.get(url, headers={"If-None-Match": etag}).status_code == 304
    # Anything else needs the login: a changed state, a forged token, another session.
    assert stranger.get(url).status_code == 302
    forged = f"/live/{room.session.code}/stage/?t={token[:-2]}xx"
    assert stranger.get(forged, headers={"If-None-Match": etag}).status_code == 302
    other = make_live_session(faculty, [room.first])
    elsewhere = f"/live/{other.code}/stage/?t={token}"
    assert stranger.get(elsewhere, headers={"If-None-Match": etag}).status_code == 302


def test_a_code_that_cannot_exist_is_a_404_without_a_lookup(
    client: Client, resident: AbstractUser, room: Room
) -> None:
    client.force_login(resident)
    for code in ("tooLONGcode", "O0I1L0", "%00ABCD"):
        assert client.get(f"/live/{code}/stage/").status_code == 404
