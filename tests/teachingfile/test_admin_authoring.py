"""A faculty member writes a whole case on one admin page and sends it for review."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from teachingfile.models import Case, Figure, Question, StatusChange
from tests.factories import CaseFactory, png_bytes

INLINES = ["lab_values", "figures", "questions", "differentials", "references", "status_changes"]


def _png(colour: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("scan.png", png_bytes(colour, (64, 48)), content_type="image/png")


def _management(prefix: str, total: int) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _case_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unknown_title": "58-year-old man with calf pain",
        "presentation": "Calf pain for two months.",
        "patient_age": "58",
        "patient_sex": "M",
        "modalities": "NM CT",
        "region": "musculoskeletal",
        "category": "metabolic",
        "known_title": "Hidden known title",
        "diagnosis": "Hidden diagnosis",
        "diagnostic_certainty": "clinical",
        "companion_note": "",
    }
    for prefix in INLINES:
        data.update(_management(prefix, 0))
    data.update(_management("figures", 2))
    data.update(_management("questions", 2))
    for i, colour in enumerate((40, 200)):
        data.update(
            {
                f"figures-{i}-order": str(i),
                f"figures-{i}-label": f"Fig. {i + 1}",
                f"figures-{i}-stage": "question" if i == 0 else "reveal",
                f"figures-{i}-alt_text": "Planar image of both legs",
                f"figures-{i}-neutral_caption": "Bone scan",
                f"figures-{i}-caption": "Revealed caption",
                f"figures-{i}-upload": _png(colour),
            }
        )
    data.update(
        {
            "questions-0-order": "1",
            "questions-0-kind": "single",
            "questions-0-prompt": "Which finding?",
            "questions-0-choices_text": "*Soft-tissue uptake | right\nNormal scan | wrong",
            "questions-0-explanation": "Because.",
            "questions-1-order": "2",
            "questions-1-kind": "free_text",
            "questions-1-prompt": "Your diagnosis?",
            "questions-1-accepted_text": (
                "calciphylaxis\ncalcific uremic arteriolopathy\nvascular calcification | 0.5"
            ),
            "questions-1-explanation": "Because.",
        }
    )
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_faculty_writes_a_case_with_two_figures_and_two_questions(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    response = client.post("/admin/teachingfile/case/add/", _case_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(unknown_title="58-year-old man with calf pain")
    assert case.public_id.startswith("tf-")
    assert case.owner == faculty
    assert case.status == Case.Status.DRAFT
    figures = list(case.figures.order_by("order"))
    assert [f.stage for f in figures] == [Figure.Stage.QUESTION, Figure.Stage.REVEAL]
    assert all(f.display.name and f.thumbnail.name and f.width == 64 for f in figures)
    single, free = case.questions.order_by("order")
    assert [(c.text, c.is_correct, c.rationale) for c in single.choices.all()] == [
        ("Soft-tissue uptake", True, "right"),
        ("Normal scan", False, "wrong"),
    ]
    assert sorted((a.text, a.score) for a in free.accepted_answers.all()) == [
        ("calcific uremic arteriolopathy", 1.0),
        ("calciphylaxis", 1.0),
        ("vascular calcification", 0.5),
    ]

    response = client.post(
        "/admin/teachingfile/case/",
        {"action": "move_to_in_review", "_selected_action": [case.pk]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW
    change = StatusChange.objects.get(case=case)
    assert (change.from_status, change.to_status, change.by) == ("draft", "in_review", faculty)


@pytest.mark.django_db
def test_a_bad_image_stops_the_save_with_its_message_and_stores_nothing(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    fake = SimpleUploadedFile("scan.png", b"just some text, not an image", "image/png")
    response = client.post(
        "/admin/teachingfile/case/add/", _case_form(**{"figures-1-upload": fake})
    )
    assert response.status_code == 200
    assert "The file is text, not an image" in response.content.decode()
    assert not Case.objects.exists()
    assert not Figure.objects.exists()


@pytest.mark.django_db
def test_a_single_answer_question_needs_exactly_one_correct_choice(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    data = _case_form(**{"questions-0-choices_text": "One\nTwo"})
    response = client.post("/admin/teachingfile/case/add/", data)
    assert response.status_code == 200
    assert "Mark exactly one choice correct" in response.content.decode()
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_faculty_cannot_edit_a_colleagues_case(
    client: Client, faculty: AbstractUser, other_faculty: AbstractUser
) -> None:
    case = CaseFactory(owner=other_faculty, status="draft")
    client.force_login(faculty)
    response = client.post(f"/admin/teachingfile/case/{case.pk}/change/", _case_form())
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.unknown_title != "58-year-old man with calf pain"


@pytest.mark.django_db
def test_residents_cannot_enter_the_admin(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    response = client.get("/admin/teachingfile/case/add/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_change_page_links_to_the_resident_preview(
    client: Client, faculty: AbstractUser
) -> None:
    case = CaseFactory(owner=faculty, status="draft")
    client.force_login(faculty)
    body = client.get(f"/admin/teachingfile/case/{case.pk}/change/").content.decode()
    assert f'href="/cases/{case.public_id}/"' in body
    assert "Preview as a resident sees it" in body


@pytest.mark.parametrize(("typed", "stored"), [("2.5", 2.5), ("", 1.0)])
def test_a_question_weighs_its_maximum_mark_and_one_when_left_empty(
    typed: str, stored: float
) -> None:
    from teachingfile.admin import QuestionForm

    form = QuestionForm(
        data={
            "order": "1",
            "kind": "single",
            "max_mark": typed,
            "prompt": "Finding?",
            "explanation": "",
            "choices_text": "*Calcification\nFracture",
            "accepted_text": "",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["max_mark"] == stored


@pytest.mark.django_db
def test_saving_a_draft_with_a_spoiler_only_warns(client: Client, faculty: AbstractUser) -> None:
    # issue 18: the alt text and an uploaded file's name give the diagnosis away.
    gout = _png(90)
    gout.name = "tophaceous-gout.png"
    data = _case_form(
        known_title="Tophaceous gout",
        diagnosis="Tophaceous gout",
        **{"figures-0-alt_text": "Gouty elbow", "figures-0-upload": gout},
    )
    client.force_login(faculty)
    response = client.post("/admin/teachingfile/case/add/", data, follow=True)
    case = Case.objects.get(unknown_title="58-year-old man with calf pain")
    assert case.status == Case.Status.DRAFT  # saved
    warnings = [str(m) for m in response.context["messages"]]
    assert any("Fig. 1: alt text" in m and "<mark>Gouty</mark>" in m for m in warnings)
    assert any("Uploaded file name" in m for m in warnings)


@pytest.mark.django_db
def test_the_authoring_form_stores_dicom_codes(client: Client, faculty: AbstractUser) -> None:
    client.force_login(faculty)
    client.post("/admin/teachingfile/case/add/", _case_form(modalities="XR mri"))
    assert Case.objects.get().modalities == "DX MR"
    response = client.post(
        "/admin/teachingfile/case/add/", _case_form(modalities="CT gamma", unknown_title="B")
    )
    assert response.status_code == 200 and "Unknown modality gamma" in response.content.decode()
    assert Case.objects.count() == 1
