"""`manage.py send_reminders`: each reminder once and only once, opt-outs honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AbstractUser
from django.core import mail
from django.core.management import call_command

from people.models import Notice, Profile, SentNotice
from quiz.models import Assignment, Attempt, Cohort
from teachingfile import services as case_services
from teachingfile.models import Case
from tests.factories import (
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
)

MONDAY = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _run() -> list[str]:
    """Run the command; the subjects of what it sent this time."""
    before = len(mail.outbox)
    call_command("send_reminders", stdout=StringIO())
    return [m.subject for m in mail.outbox[before:]]


@pytest.fixture
def assignment(cohort: Cohort, time_machine: object) -> Assignment:
    time_machine.move_to(MONDAY, tick=False)  # type: ignore[attr-defined]
    return AssignmentFactory(
        quiz=QuizFactory(title="Calcification"),
        cohort=cohort,
        assigned_at=MONDAY,
        due_at=MONDAY + timedelta(days=3),
    )


def test_each_reminder_goes_once_and_only_once(
    assignment: Assignment, resident: AbstractUser, director: AbstractUser, time_machine: object
) -> None:
    first = _run()
    assert "New quiz assigned: Calcification" in first
    assert any(s.startswith("Weekly digest") for s in first)
    assert _run() == []  # cron again a few minutes later: nothing twice

    time_machine.move_to(MONDAY + timedelta(days=1, hours=12), tick=False)  # type: ignore[attr-defined]
    assert _run() == ["Due soon: Calcification"]
    assert _run() == []

    time_machine.move_to(MONDAY + timedelta(days=3, minutes=5), tick=False)  # type: ignore[attr-defined]
    assert _run() == ["Overdue: Calcification"]
    assert _run() == []

    time_machine.move_to(MONDAY + timedelta(days=7), tick=False)  # type: ignore[attr-defined]
    assert [s for s in _run() if s.startswith("Weekly digest")] == [
        "Weekly digest of your programs (2026-W50)"
    ]
    assert _run() == []
    rosa = {m.subject for m in mail.outbox if m.to == [resident.email]}
    assert rosa == {
        "New quiz assigned: Calcification",
        "Due soon: Calcification",
        "Overdue: Calcification",
    }
    assert SentNotice.objects.filter(user=resident).count() == 3


def test_a_finished_quiz_gets_no_reminder(
    assignment: Assignment, resident: AbstractUser, time_machine: object
) -> None:
    Attempt.objects.create(user=resident, quiz=assignment.quiz, finished_at=MONDAY)
    time_machine.move_to(MONDAY + timedelta(days=2), tick=False)  # type: ignore[attr-defined]
    _run()
    sent = [m.subject for m in mail.outbox if m.to == [resident.email]]
    assert sent == []


def test_opt_outs_are_honoured(
    assignment: Assignment, resident: AbstractUser, director: AbstractUser, time_machine: object
) -> None:
    Profile.objects.create(user=resident, muted=[Notice.ASSIGNMENT, Notice.DUE_SOON])
    Profile.objects.create(user=director, muted=[Notice.DIGEST])
    _run()
    time_machine.move_to(MONDAY + timedelta(days=2), tick=False)  # type: ignore[attr-defined]
    _run()
    time_machine.move_to(MONDAY + timedelta(days=3, hours=1), tick=False)  # type: ignore[attr-defined]
    _run()
    assert [m.subject for m in mail.outbox if m.to == [resident.email]] == [
        "Overdue: Calcification"
    ]
    assert [m for m in mail.outbox if m.to == [director.email]] == []


def test_an_opt_out_set_on_the_preferences_page_is_honoured(
    client: object, assignment: Assignment, resident: AbstractUser
) -> None:
    client.force_login(resident)  # type: ignore[attr-defined]
    kept = [Notice.OVERDUE, Notice.CASE_RETURNED, Notice.DIGEST]
    response = client.post("/people/preferences/", {"time_zone": "", "notices": kept})  # type: ignore[attr-defined]
    assert response.status_code == 302
    _run()
    assert not [m for m in mail.outbox if m.to == [resident.email]]


def test_the_due_time_is_written_in_the_residents_zone(
    assignment: Assignment, resident: AbstractUser
) -> None:
    Profile.objects.create(user=resident, time_zone="America/Chicago")
    _run()
    [message] = [m for m in mail.outbox if m.to == [resident.email]]
    # Due Thursday 14:00 UTC is 08:00 in Chicago (CST, UTC-6).
    assert "Thursday 3 Dec 2026 08:00 CST" in message.body


def test_a_returned_case_tells_its_author_once(
    faculty: AbstractUser, editor: AbstractUser, time_machine: object
) -> None:
    time_machine.move_to(MONDAY, tick=False)  # type: ignore[attr-defined]
    case = CaseFactory(status=Case.Status.IN_REVIEW, owner=faculty)
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    case_services.case_transition(
        case=case, to_status=Case.Status.DRAFT, by=editor, note="Add the CT figure."
    )
    assert _run() == [f"Case {case.public_id} returned to you"]
    assert "Add the CT figure." in mail.outbox[-1].body
    assert _run() == []


def test_a_failed_send_is_tried_again_next_run(
    assignment: Assignment, resident: AbstractUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from people import mail as people_mail

    real = people_mail.send_to

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(people_mail, "send_to", broken)
    assert _run() == []
    assert not SentNotice.objects.exists()
    monkeypatch.setattr(people_mail, "send_to", real)
    assert "New quiz assigned: Calcification" in _run()


def test_an_assignment_due_within_48_hours_gets_one_email_not_two(
    cohort: Cohort, resident: AbstractUser, time_machine: object
) -> None:
    time_machine.move_to(MONDAY, tick=False)  # type: ignore[attr-defined]
    AssignmentFactory(
        quiz=QuizFactory(title="Tomorrow"),
        cohort=cohort,
        assigned_at=MONDAY,
        due_at=MONDAY + timedelta(days=1),
    )
    _run()
    assert [m.subject for m in mail.outbox if m.to == [resident.email]] == [
        "New quiz assigned: Tomorrow"
    ]
