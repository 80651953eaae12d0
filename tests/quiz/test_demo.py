from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.http import HttpRequest

from quiz.models import Assignment, Cohort, Membership, Quiz, QuizItem
from teachingfile import roles
from teachingfile.models import Case, Figure, Question


def _counts() -> dict[str, int]:
    models = [
        get_user_model(),
        Case,
        Figure,
        Question,
        Quiz,
        QuizItem,
        Cohort,
        Membership,
        Assignment,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_sets_up_accounts_cases_and_an_assigned_quiz() -> None:
    call_command("seed_demo")
    cases = Case.objects.order_by("public_id")
    assert [c.public_id for c in cases] == [f"tf-000{i}" for i in range(1, 6)]
    assert all(c.status == Case.Status.PUBLISHED for c in cases)
    for username in ("resident", "faculty", "director"):
        assert authenticate(HttpRequest(), username=username, password="demo") is not None
    resident = get_user_model().objects.get(username="resident")
    assert roles.is_resident(resident)
    assert Assignment.objects.filter(cohort__memberships__resident=resident).count() == 1

    before = _counts()
    call_command("seed_demo")
    assert _counts() == before


@pytest.mark.django_db
def test_the_demo_quiz_titles_give_no_case_away() -> None:
    # issue 18: "Soft-tissue calcification" named the theme of every case in the quiz.
    from teachingfile.spoilers import quiz_spoilers

    call_command("seed_demo")
    quizzes = list(Quiz.objects.prefetch_related("cases"))
    assert len(quizzes) == 2
    for quiz in quizzes:
        assert quiz_spoilers(quiz.title, quiz.description, quiz.cases.all()) == [], quiz.title
    old = quiz_spoilers("Soft-tissue calcification: five unknowns", "", quizzes[0].cases.all())
    assert old  # the check would have caught the old title
