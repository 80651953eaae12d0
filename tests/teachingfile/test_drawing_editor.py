"""The drawing editor (issue 16): faculty who may edit the case draw; nobody else peeks."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from teachingfile.models import Case, Question
from tests.factories import CaseFactory, FigureFactory, QuestionFactory

pytestmark = pytest.mark.django_db

ARROW = {"type": "arrow", "points": [[0.2, 0.2], [0.4, 0.5]], "color": "#ff3b30"}
LABEL = {"type": "text", "points": [[0.5, 0.1]], "text": "Calcified nodule", "color": "#ffffff"}
TARGET = {"shape": "ellipse", "cx": 0.5, "cy": 0.4, "rx": 0.1, "ry": 0.08}


def _client(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def own_case(faculty: AbstractUser) -> Case:
    return CaseFactory(owner=faculty, status=Case.Status.DRAFT)


@pytest.mark.parametrize("htmx", [False, True])
def test_it_saves_annotations_as_vector_data_and_bumps_the_case_version(
    faculty: AbstractUser, own_case: Case, htmx: bool
) -> None:
    figure = FigureFactory(case=own_case)
    version = own_case.version
    url = f"/authoring/figures/{figure.pk}/draw/"
    headers = {"HX-Request": "true"} if htmx else {}
    response = _client(faculty).post(url, {"shapes": json.dumps([ARROW, LABEL])}, headers=headers)
    assert response.status_code == (200 if htmx else 302)
    if htmx:
        assert 'id="editor-form"' in response.content.decode()
        assert "<html" not in response.content.decode()
    figure.refresh_from_db()
    assert figure.annotations == [ARROW, LABEL]
    own_case.refresh_from_db()
    assert own_case.version > version
    # Pixels are untouched: no annotated image is made from the drawing.
    assert not figure.annotated_image


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    "posted",
    [
        "not json",
        json.dumps([{"type": "arrow", "points": [[0.2, 0.2], [1.4, 0.5]]}]),
        json.dumps([{"type": "blob", "points": [[0.2, 0.2]]}]),
        json.dumps([{"type": "text", "points": [[0.2, 0.2]], "text": " "}]),
        json.dumps([{**ARROW, "color": "red;x"}]),
    ],
)
def test_a_bad_drawing_is_refused_with_422_and_the_stored_one_kept(
    faculty: AbstractUser, own_case: Case, posted: str, htmx: bool
) -> None:
    figure = FigureFactory(case=own_case)
    figure.annotations = [ARROW]
    figure.save()
    headers = {"HX-Request": "true"} if htmx else {}
    response = _client(faculty).post(
        f"/authoring/figures/{figure.pk}/draw/", {"shapes": posted}, headers=headers
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    figure.refresh_from_db()
    assert figure.annotations == [ARROW]


def test_residents_and_faculty_who_do_not_own_the_case_get_404(
    resident: AbstractUser, faculty: AbstractUser, own_case: Case
) -> None:
    from teachingfile import roles
    from tests.factories import make_user

    other = make_user("bob", roles.FACULTY, is_staff=True)
    figure = FigureFactory(case=own_case)
    question = QuestionFactory(case=own_case, kind=Question.Kind.REGION)
    for user in (resident, other):
        client = _client(user)
        assert client.get(f"/authoring/figures/{figure.pk}/draw/").status_code == 404
        assert (
            client.post(f"/authoring/figures/{figure.pk}/draw/", {"shapes": "[]"}).status_code
            == 404
        )
        assert client.get(f"/authoring/questions/{question.pk}/regions/").status_code == 404
    assert _client(faculty).get(f"/authoring/figures/{figure.pk}/draw/").status_code == 200


@pytest.mark.parametrize("htmx", [False, True])
def test_it_saves_target_regions_margin_and_mode(
    faculty: AbstractUser, own_case: Case, htmx: bool
) -> None:
    figure = FigureFactory(case=own_case)
    question = QuestionFactory(case=own_case, kind=Question.Kind.REGION)
    headers = {"HX-Request": "true"} if htmx else {}
    response = _client(faculty).post(
        f"/authoring/questions/{question.pk}/regions/",
        {
            "figure": figure.pk,
            "shapes": json.dumps([TARGET]),
            "margin": "0.05",
            "region_mode": "every",
        },
        headers=headers,
    )
    assert response.status_code == (200 if htmx else 302)
    question.refresh_from_db()
    assert question.regions == [TARGET]
    assert question.region_figure == figure
    assert (question.region_margin, question.region_mode) == (0.05, "every")
    if htmx:
        body = response.content.decode()
        assert 'value="0.05"' in body and 'value="every" checked' in body


@pytest.mark.parametrize(
    "change",
    [
        {"shapes": "[]"},
        {"shapes": json.dumps([{**TARGET, "rx": 3}])},
        {"margin": "0.9"},
        {"region_mode": "most"},
        {"figure": "reveal"},
    ],
)
def test_bad_regions_are_refused_with_422_and_nothing_changes(
    faculty: AbstractUser, own_case: Case, change: dict[str, str]
) -> None:
    from teachingfile.models import Figure

    figure = FigureFactory(case=own_case)
    later = FigureFactory(case=own_case, stage=Figure.Stage.REVEAL)
    question = QuestionFactory(case=own_case, kind=Question.Kind.REGION)
    data = {"figure": str(figure.pk), "shapes": json.dumps([TARGET]), "margin": "0"}
    data["region_mode"] = "any"
    data.update(change)
    if data["figure"] == "reveal":
        data["figure"] = str(later.pk)
    response = _client(faculty).post(f"/authoring/questions/{question.pk}/regions/", data)
    assert response.status_code == 422
    question.refresh_from_db()
    assert question.regions == [] and question.region_figure is None


def test_the_case_admin_links_to_the_editor(faculty: AbstractUser, own_case: Case) -> None:
    figure = FigureFactory(case=own_case)
    question = QuestionFactory(case=own_case, kind=Question.Kind.REGION)
    page = _client(faculty).get(f"/admin/teachingfile/case/{own_case.pk}/change/")
    body = page.content.decode()
    assert f"/authoring/figures/{figure.pk}/draw/" in body
    assert f"/authoring/questions/{question.pk}/regions/" in body
