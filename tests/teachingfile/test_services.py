"""The review workflow: who may move a case where, and what is recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError

from teachingfile.models import Case
from teachingfile.services import allowed_transitions, case_transition, next_public_id
from tests.factories import AcceptedAnswerFactory, CaseFactory, ChoiceFactory, QuestionFactory


def _ready_case(owner: AbstractUser, status: str = "draft") -> Case:
    case = CaseFactory(owner=owner, status=status)
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    return case


@pytest.mark.django_db
def test_next_public_id_follows_the_highest_number() -> None:
    CaseFactory(public_id="tf-0005")
    CaseFactory(public_id="tf-0012")
    assert next_public_id() == "tf-0013"


@pytest.mark.django_db
def test_the_author_submits_and_a_colleague_publishes(
    faculty: AbstractUser, other_faculty: AbstractUser
) -> None:
    case = _ready_case(faculty)
    case_transition(case=case, to_status="in_review", by=faculty)
    change = case_transition(case=case, to_status="published", by=other_faculty, note="Fine")
    case.refresh_from_db()
    assert case.status == "published"
    assert case.published_at is not None
    assert (change.by, change.note) == (other_faculty, "Fine")
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "in_review",
        "published",
    ]


@pytest.mark.django_db
def test_the_author_cannot_publish_their_own_case(faculty: AbstractUser) -> None:
    case = _ready_case(faculty, status="in_review")
    with pytest.raises(PermissionDenied):
        case_transition(case=case, to_status="published", by=faculty)
    case.refresh_from_db()
    assert case.status == "in_review"
    assert not case.status_changes.exists()


@pytest.mark.django_db
def test_an_editor_publishes_a_draft_directly(editor: AbstractUser) -> None:
    case = _ready_case(editor)
    case_transition(case=case, to_status="published", by=editor)
    case.refresh_from_db()
    assert case.status == "published"


@pytest.mark.django_db
def test_sending_back_needs_a_note(faculty: AbstractUser, other_faculty: AbstractUser) -> None:
    case = _ready_case(faculty, status="in_review")
    with pytest.raises(ValidationError, match="Say what needs changing"):
        case_transition(case=case, to_status="draft", by=other_faculty)
    case_transition(case=case, to_status="draft", by=other_faculty, note="Add a caption")
    case.refresh_from_db()
    assert case.status == "draft"


@pytest.mark.django_db
def test_a_case_without_questions_cannot_go_to_review(faculty: AbstractUser) -> None:
    case = CaseFactory(owner=faculty, status="draft")
    with pytest.raises(ValidationError, match="no question"):
        case_transition(case=case, to_status="in_review", by=faculty)


@pytest.mark.django_db
def test_a_free_text_question_needs_an_accepted_answer(faculty: AbstractUser) -> None:
    case = CaseFactory(owner=faculty, status="draft")
    QuestionFactory(case=case, kind="free_text")
    with pytest.raises(ValidationError, match="no accepted answer"):
        case_transition(case=case, to_status="in_review", by=faculty)
    AcceptedAnswerFactory(question=case.questions.get())
    case_transition(case=case, to_status="in_review", by=faculty)


@pytest.mark.django_db
def test_residents_and_directors_move_nothing(
    resident: AbstractUser, director: AbstractUser, faculty: AbstractUser
) -> None:
    case = _ready_case(faculty, status="in_review")
    assert allowed_transitions(case, resident) == []
    assert allowed_transitions(case, director) == []


@pytest.mark.django_db
def test_each_transition_bumps_the_version(faculty: AbstractUser) -> None:
    case = _ready_case(faculty)
    before = case.version
    case_transition(case=case, to_status="in_review", by=faculty)
    case.refresh_from_db()
    assert case.version == before + 1
