"""Spoiler guardrails: pre-reveal text that names the diagnosis warns, and blocks submission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from teachingfile.models import Case, DifferentialDiagnosis, Figure, Keyword, LabValue
from teachingfile.spoilers import case_spoilers, check_text, quiz_spoilers
from tests.factories import CaseFactory, ChoiceFactory, FigureFactory, QuestionFactory


def _gout_draft(owner: AbstractUser, **fields: object) -> Case:
    values = {
        "status": Case.Status.DRAFT,
        "owner": owner,
        "unknown_title": "57-year-old man with a swollen elbow",
        "presentation": "Painless swelling of the elbow for a year.",
        "known_title": "Tophaceous gout",
        "diagnosis": "Tophaceous gout of the olecranon bursa",
        **fields,
    }
    case = CaseFactory(**values)
    ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
    return case


def test_it_finds_stems_and_typos_of_the_diagnosis() -> None:
    found = check_text(
        [("Presentation", "Known calciphilaxis; gouty hands."), ("Title", "Elbow swelling")],
        ["Calciphylaxis", "Tophaceous gout"],
    )
    assert [w.field for w in found] == ["Presentation"]
    assert found[0].words == {"calciphilaxis", "gouty"}
    assert "<mark>calciphilaxis</mark>" in found[0].highlighted


def test_it_escapes_the_text_it_highlights() -> None:
    [warning] = check_text([("Title", "<b>gout</b>")], ["gout"])
    assert warning.highlighted == "&lt;b&gt;<mark>gout</mark>&lt;/b&gt;"


def test_a_neutral_text_gives_no_warning() -> None:
    assert check_text([("Title", "63-year-old woman with back pain")], ["Gout"]) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "where",
    ["unknown_title", "presentation", "alt_text", "neutral_caption", "label", "lab", "file"],
)
def test_each_pre_reveal_field_is_checked(faculty: AbstractUser, where: str) -> None:
    case = _gout_draft(faculty)
    figure = FigureFactory(case=case, alt_text="Lateral radiograph of the elbow")
    if where in ("unknown_title", "presentation"):
        setattr(case, where, "Known tophaceous disease")
        case.save()
    elif where in ("alt_text", "neutral_caption", "label"):
        Figure.objects.filter(pk=figure.pk).update(**{where: "Gout"})
    elif where == "lab":
        LabValue.objects.create(case=case, name="Gout panel", value="1", shown_before_reveal=True)
    file_names = ["tophaceous-gout.png"] if where == "file" else []
    assert case_spoilers(case, file_names=file_names), where


@pytest.mark.django_db
def test_differentials_and_keywords_are_terms_too(faculty: AbstractUser) -> None:
    case = _gout_draft(faculty, presentation="Known to have pseudogout and sarcoid.")
    assert case_spoilers(case) == []  # "pseudogout" is one word, not "gout"
    DifferentialDiagnosis.objects.create(case=case, diagnosis="Sarcoidosis")
    case.keywords.add(Keyword.objects.create(name="pseudogout"))
    [warning] = case_spoilers(case)
    assert warning.words == {"pseudogout", "sarcoid"}


@pytest.mark.django_db
def test_submitting_a_spoiler_is_refused_until_acknowledged(
    client: Client, faculty: AbstractUser
) -> None:
    case = _gout_draft(faculty, unknown_title="Tophaceous gout of the elbow")
    client.force_login(faculty)
    url = reverse("peer_review:case_status", args=[case.public_id])
    refused = client.post(url, {"to_status": "in_review"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert 'role="alert"' in page and "<mark>Tophaceous</mark>" in page
    assert 'name="spoilers_checked"' in page
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT

    accepted = client.post(url, {"to_status": "in_review", "spoilers_checked": "1"})
    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW
    assert "Spoiler warnings checked" in case.status_changes.last().note


@pytest.mark.django_db
def test_a_clean_case_is_submitted_without_acknowledgement(
    client: Client, faculty: AbstractUser
) -> None:
    case = _gout_draft(faculty)
    client.force_login(faculty)
    client.post(
        reverse("peer_review:case_status", args=[case.public_id]), {"to_status": "in_review"}
    )
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW


@pytest.mark.django_db
def test_the_authoring_page_warns_and_offers_submit_preview_and_history(
    client: Client, faculty: AbstractUser
) -> None:
    case = _gout_draft(faculty, presentation="Gouty hands.")
    case.status_changes.create(from_status="in_review", to_status="draft", note="Fix Fig. B")
    client.force_login(faculty)
    page = client.get(reverse("admin:teachingfile_case_change", args=[case.pk])).content.decode()
    assert 'role="alert"' in page and "<mark>Gouty</mark>" in page
    assert "Submit for review" in page and 'name="spoilers_checked"' in page
    assert "Preview as a resident" in page and case.get_absolute_url() in page
    assert "Fix Fig. B" in page


@pytest.mark.django_db
def test_the_authoring_page_submits_and_comes_back(client: Client, faculty: AbstractUser) -> None:
    case = _gout_draft(faculty)
    client.force_login(faculty)
    back = reverse("admin:teachingfile_case_change", args=[case.pk])
    response = client.post(
        reverse("peer_review:case_status", args=[case.public_id]),
        {"to_status": "in_review", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back


def test_quiz_titles_are_checked_against_their_cases() -> None:
    case = Case(diagnosis="Tumoral calcinosis", known_title="Tumoral calcinosis")
    assert quiz_spoilers("Calcinosis week", "", [case])
    assert quiz_spoilers("Mixed unknowns: set 1", "Five cases.", [case]) == []


def test_numbers_are_never_spoilers() -> None:
    assert check_text([("Title", "Patient 1124, 2019")], ["Diagnosis number 1124"]) == []
