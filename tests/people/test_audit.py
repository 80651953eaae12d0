"""The audit trail: a row for each audited action, append-only, read by admins and directors."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command
from django.test import Client

from people import audit
from people.models import AuditAction, AuditEvent
from quiz import services as quiz_services
from quiz.models import Cohort, Response
from teachingfile import services as case_services
from teachingfile.models import Case
from tests.factories import (
    CaseFactory,
    ChoiceFactory,
    CohortFactory,
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    ResponseFactory,
    make_user,
)


def _case(owner: AbstractUser, status: str = Case.Status.IN_REVIEW) -> Case:
    case = CaseFactory(status=status, owner=owner)
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    return case


def _only(action: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(action=action)
    return event


def test_publish_return_and_retire_are_recorded(
    faculty: AbstractUser, editor: AbstractUser
) -> None:
    published = _case(faculty)
    case_services.case_transition(case=published, to_status=Case.Status.PUBLISHED, by=editor)
    event = _only(AuditAction.CASE_PUBLISH)
    assert (event.actor, event.target, event.subject) == (editor, published.public_id, faculty)

    returned = _case(faculty)
    case_services.case_transition(
        case=returned, to_status=Case.Status.DRAFT, by=editor, note="Crop the figure."
    )
    event = _only(AuditAction.CASE_RETURN)
    assert event.detail["note"] == "Crop the figure."

    case_services.case_transition(case=published, to_status=Case.Status.RETIRED, by=editor)
    assert _only(AuditAction.CASE_RETIRE).target == published.public_id


def test_grading_and_overriding_are_recorded(faculty: AbstractUser, resident: AbstractUser) -> None:
    pending = ResponseFactory(attempt__user=resident, score=None, method=Response.Method.PENDING)
    quiz_services.response_override(response=pending, score=0.5, by=faculty, note="Half.")
    event = _only(AuditAction.RESPONSE_GRADE)
    assert event.actor == faculty and event.subject == resident
    assert event.detail == {"after": 0.5, "note": "Half."}

    scored = ResponseFactory(attempt__user=resident, score=1.0)
    quiz_services.response_override(response=scored, score=0.0, by=faculty)
    assert _only(AuditAction.RESPONSE_OVERRIDE).detail == {"before": 1.0, "after": 0.0}


def test_the_grading_page_records_the_grade(
    client: Client, faculty: AbstractUser, resident: AbstractUser
) -> None:
    pending = ResponseFactory(attempt__user=resident, score=None, method=Response.Method.PENDING)
    client.force_login(faculty)
    client.post(f"/grading/{pending.pk}/", {"score": "1", "note": ""})
    assert _only(AuditAction.RESPONSE_GRADE).actor_name == "farid"


def test_csv_exports_are_recorded(
    client: Client, director: AbstractUser, cohort: Cohort, resident: AbstractUser
) -> None:
    client.force_login(director)
    assert client.get("/reports/cohort.csv").status_code == 200
    assert client.get(f"/reports/residents/{resident.pk}/export.csv").status_code == 200
    assert client.get("/reports/items/export.csv?per=case").status_code == 200
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT_CSV).order_by("id")
    assert [e.target for e in events] == ["cohort.csv", "rosa.csv", "item statistics"]
    assert events[1].subject == resident
    assert events[2].detail == {"query": "per=case"}
    assert {e.actor for e in events} == {director}


def test_bundle_exports_and_backups_are_recorded(
    client: Client, editor: AbstractUser, tmp_path: Path
) -> None:
    case = CaseFactory()
    client.force_login(editor)
    client.post(
        "/admin/teachingfile/case/", {"action": "export_as_bundle", "_selected_action": [case.pk]}
    )
    assert _only(AuditAction.EXPORT_BUNDLE).actor == editor
    call_command("export_cases", case.public_id, "--output", str(tmp_path / "b.zip"))
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT_BUNDLE).count() == 2
    call_command("backup_site", "--output", str(tmp_path / "site.zip"))
    event = _only(AuditAction.BACKUP)
    assert event.actor is None and event.detail["via"].startswith("manage.py as ")


def test_the_trail_cannot_be_edited_or_deleted(director: AbstractUser) -> None:
    event = audit.record(AuditAction.EXPORT_CSV, actor=director, target="cohort.csv")
    event.target = "something else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(target="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).target == "cohort.csv"


def test_the_admin_shows_the_trail_read_only(client: Client, director: AbstractUser) -> None:
    event = audit.record(AuditAction.EXPORT_CSV, actor=director, target="cohort.csv")
    admin = make_user("ada", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/people/auditevent/").status_code == 200
    page = client.get(f"/admin/people/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(f"/admin/people/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_director_reads_only_their_programs(
    client: Client, director: AbstractUser, cohort: Cohort, resident: AbstractUser
) -> None:
    oscar = make_user("oscar", "Resident")
    MembershipFactory(cohort=CohortFactory(program=ProgramFactory(name="Away")), resident=oscar)
    audit.record(AuditAction.EXPORT_CSV, actor=director, target="about-rosa", subject=resident)
    audit.record(AuditAction.EXPORT_CSV, target="about-oscar", subject=oscar)
    client.force_login(director)
    html = client.get("/people/audit/").content.decode()
    assert "about-rosa" in html
    assert "about-oscar" not in html
    admin = make_user("ada", is_superuser=True, is_staff=True)
    client.force_login(admin)
    html = client.get("/people/audit/").content.decode()
    assert "about-rosa" in html and "about-oscar" in html


def test_residents_and_faculty_cannot_read_the_trail(
    client: Client, resident: AbstractUser, faculty: AbstractUser
) -> None:
    for person in (resident, faculty):
        client.force_login(person)
        assert client.get("/people/audit/").status_code == 404


def test_a_director_reads_their_own_actions_and_invitations(
    client: Client, director: AbstractUser, cohort: Cohort
) -> None:
    client.force_login(director)
    client.post(
        "/people/invite/",
        {
            "first_name": "Nia",
            "last_name": "Okafor",
            "email": "nia@hospital.example",
            "role": "Faculty",
            "training_year": 1,
        },
    )
    html = client.get("/people/audit/").content.decode()
    assert "Person invited" in html and "nia" in html
