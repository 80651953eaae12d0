"""The faculty quiz builder: filters, random draw, options, assignment, editing safely."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quiz import builder
from quiz.models import Assignment, Cohort, Quiz, QuizItem
from teachingfile.models import Case
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    RatingFactory,
    ResponseFactory,
)

URL = "/quizzes/new/"


def _cases(n: int, **fields: object) -> list[Case]:
    return [CaseFactory(**fields) for _ in range(n)]


def _options(**extra: object) -> dict[str, object]:
    return {
        "title": "Mixed unknowns",
        "description": "",
        "mode": "practice",
        "time_limit": "",
        "attempts_allowed": "",
        "reveal_before_due": "on",
        **extra,
    }


def test_the_builder_lives_at_quizzes_new() -> None:
    assert reverse("quiz:quiz_new") == URL


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["resident", "director", "outsider"])
def test_only_faculty_open_the_builder(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404
    assert client.post(URL, _options(how="draw", count=1)).status_code == 404
    assert not Quiz.objects.exists()


@pytest.mark.django_db
def test_it_counts_the_matching_cases_with_and_without_htmx(
    client: Client, faculty: AbstractUser
) -> None:
    _cases(3, modalities="CR")
    _cases(2, modalities="DX CT")
    _cases(4, modalities="MR")
    CaseFactory(modalities="CR", status=Case.Status.DRAFT)
    client.force_login(faculty)
    page = client.get(URL, {"modality": "XR"})
    assert page.status_code == 200
    assert page.context["count"] == 5
    assert "<html" in page.content.decode()
    fragment = client.get(URL, {"modality": "XR"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="candidates"' in body and 'data-count="5"' in body


@pytest.mark.django_db
def test_not_yet_answered_by_a_cohort_leaves_out_what_its_residents_answered(
    faculty: AbstractUser, resident: AbstractUser, cohort: Cohort
) -> None:
    seen, unseen = _cases(2)
    question = QuestionFactory(case=seen)
    ResponseFactory(attempt=AttemptFactory(user=resident), question=question)
    filters = builder.BuilderFilters(unseen_by=cohort.pk)
    assert list(builder.matching_cases(filters)) == [unseen]


@pytest.mark.django_db
def test_the_difficulty_band_comes_from_faculty_ratings_when_unmeasured(
    faculty: AbstractUser,
) -> None:
    easy, hard, unrated = _cases(3)
    RatingFactory(case=easy, rater=faculty, difficulty=1)
    RatingFactory(case=hard, rater=faculty, difficulty=5)
    ids, bands = builder.candidate_ids(builder.BuilderFilters(band="hard"))
    assert ids == [hard.pk]
    assert bands == {easy.pk: "easy", hard.pk: "hard", unrated.pk: "unrated"}


@pytest.mark.django_db
def test_it_draws_n_unseen_cases_and_assigns_them_with_a_due_date(
    client: Client, faculty: AbstractUser, cohort: Cohort
) -> None:
    chest = _cases(12, region="chest")
    _cases(5, region="spine")
    due = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(faculty)
    response = client.post(
        URL,
        _options(
            region="chest",
            unseen_by=cohort.pk,
            how="draw",
            count=10,
            cohort=cohort.pk,
            due_at=due,
            shuffle_cases="on",
            attempts_allowed=2,
        ),
    )
    quiz = Quiz.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quizzes/{quiz.pk}/edit/"
    assert quiz.items.count() == 10
    assert set(quiz.items.values_list("case_id", flat=True)) <= {c.pk for c in chest}
    assert quiz.shuffle_cases and quiz.attempts_allowed == 2 and quiz.created_by == faculty
    assignment = Assignment.objects.get(quiz=quiz)
    assert assignment.cohort == cohort and assignment.due_at is not None


@pytest.mark.django_db
def test_hand_picked_cases_keep_only_what_was_ticked(client: Client, faculty: AbstractUser) -> None:
    first, _, third = _cases(3)
    client.force_login(faculty)
    client.post(URL, _options(how="pick", cases=[first.pk, third.pk]))
    quiz = Quiz.objects.get()
    assert list(quiz.items.values_list("case_id", flat=True)) == [first.pk, third.pk]


@pytest.mark.django_db
def test_drawing_more_than_match_is_refused_and_builds_nothing(
    client: Client, faculty: AbstractUser
) -> None:
    _cases(3)
    client.force_login(faculty)
    response = client.post(URL, _options(how="draw", count=10, title="Too many"))
    assert response.status_code == 422
    assert "Only 3 cases match" in response.content.decode()
    assert 'value="Too many"' in response.content.decode()  # what they typed is kept
    assert not Quiz.objects.exists()


@pytest.mark.django_db
def test_a_draft_cannot_be_picked(client: Client, faculty: AbstractUser) -> None:
    draft = CaseFactory(status=Case.Status.DRAFT)
    client.force_login(faculty)
    assert client.post(URL, _options(how="pick", cases=[draft.pk])).status_code == 422
    assert not Quiz.objects.exists()


@pytest.mark.django_db
def test_a_quiz_title_naming_a_diagnosis_needs_acknowledgement(
    client: Client, faculty: AbstractUser
) -> None:
    case = CaseFactory(diagnosis="Tumoral calcinosis", known_title="Tumoral calcinosis")
    client.force_login(faculty)
    data = _options(how="pick", cases=[case.pk], title="Calcinosis week")
    refused = client.post(URL, data)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.content.decode()
    assert "<mark>Calcinosis</mark>" in refused.content.decode()
    assert not Quiz.objects.exists()
    assert client.post(URL, {**data, "spoilers_checked": "1"}).status_code == 302
    assert Quiz.objects.get().title == "Calcinosis week"


@pytest.fixture
def built(faculty: AbstractUser) -> Quiz:
    quiz = QuizFactory(created_by=faculty)
    for order, case in enumerate(_cases(3)):
        QuizItemFactory(quiz=quiz, case=case, order=order)
    return quiz


def _item_url(quiz: Quiz, item: QuizItem, action: str) -> str:
    return reverse(f"quiz:quiz_item_{action}", args=[quiz.pk, item.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_cases_move_up_and_down(
    client: Client, faculty: AbstractUser, built: Quiz, htmx: bool
) -> None:
    first, second, third = built.items.all()
    client.force_login(faculty)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(_item_url(built, third, "move"), {"direction": "up"}, headers=headers)
    assert response.status_code == (200 if htmx else 302)
    if htmx:
        assert 'id="quiz-items"' in response.content.decode()
    order = list(built.items.values_list("case_id", flat=True))
    assert order == [first.case_id, third.case_id, second.case_id]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_a_case_of_a_quiz_with_attempts_cannot_be_removed(
    client: Client, faculty: AbstractUser, resident: AbstractUser, built: Quiz, htmx: bool
) -> None:
    AttemptFactory(user=resident, quiz=built)
    item = built.items.first()
    client.force_login(faculty)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(_item_url(built, item, "remove"), headers=headers)
    assert response.status_code == 422
    assert "Make a copy" in response.content.decode()
    assert built.items.count() == 3


@pytest.mark.django_db
def test_a_case_of_an_untaken_quiz_can_be_removed(
    client: Client, faculty: AbstractUser, built: Quiz
) -> None:
    client.force_login(faculty)
    client.post(_item_url(built, built.items.first(), "remove"))
    assert built.items.count() == 2


@pytest.mark.django_db
def test_a_copy_has_the_cases_and_no_attempts(
    client: Client, faculty: AbstractUser, resident: AbstractUser, built: Quiz
) -> None:
    AttemptFactory(user=resident, quiz=built)
    client.force_login(faculty)
    response = client.post(reverse("quiz:quiz_copy", args=[built.pk]))
    copy = Quiz.objects.exclude(pk=built.pk).get()
    assert response["Location"] == reverse("quiz:quiz_edit", args=[copy.pk])
    assert list(copy.items.values_list("case_id", flat=True)) == list(
        built.items.values_list("case_id", flat=True)
    )
    assert not copy.attempts.exists()


@pytest.mark.django_db
def test_another_faculty_members_quiz_is_not_editable(
    client: Client, other_faculty: AbstractUser, editor: AbstractUser, built: Quiz
) -> None:
    client.force_login(other_faculty)
    assert client.get(reverse("quiz:quiz_edit", args=[built.pk])).status_code == 404
    client.force_login(editor)
    assert client.get(reverse("quiz:quiz_edit", args=[built.pk])).status_code == 200


@pytest.mark.django_db
def test_the_resident_sees_the_assigned_quiz_with_its_due_date(
    client: Client, faculty: AbstractUser, resident: AbstractUser, cohort: Cohort
) -> None:
    _cases(2)
    due = timezone.localtime() + timedelta(days=3)
    client.force_login(faculty)
    client.post(
        URL,
        _options(how="draw", count=2, cohort=cohort.pk, due_at=due.strftime("%Y-%m-%dT%H:%M")),
    )
    client.force_login(resident)
    page = client.get(reverse("quiz:quiz_list")).content.decode()
    assert "Mixed unknowns" in page and f"Due {due:%-d %b %Y}" in page


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_a_dragged_case_lands_at_its_new_position(
    client: Client, faculty: AbstractUser, built: Quiz, htmx: bool
) -> None:
    first, second, third = built.items.all()
    client.force_login(faculty)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(_item_url(built, first, "move"), {"position": "2"}, headers=headers)
    assert response.status_code == (200 if htmx else 302)
    order = list(built.items.values_list("case_id", flat=True))
    assert order == [second.case_id, third.case_id, first.case_id]
