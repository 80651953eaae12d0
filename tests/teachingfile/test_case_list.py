from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from teachingfile.models import Case
from tests.factories import CaseFactory


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_it_requires_login(client: Client) -> None:
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_it_lists_published_cases_by_unknown_title_only(
    client: Client, resident: AbstractUser
) -> None:
    shown = CaseFactory(unknown_title="Woman with back pain", known_title="Known title A")
    CaseFactory(unknown_title="Draft case", status=Case.Status.DRAFT)
    client.force_login(resident)
    response = client.get("/cases/")
    body = response.content.decode()
    assert shown.unknown_title in body
    assert "Known title A" not in body
    assert shown.diagnosis not in body
    assert "Draft case" not in body


@pytest.mark.django_db
def test_faculty_see_drafts_and_filter_by_status(client: Client, faculty: AbstractUser) -> None:
    CaseFactory(unknown_title="Draft case", status=Case.Status.DRAFT)
    CaseFactory(unknown_title="Live case")
    client.force_login(faculty)
    body = client.get("/cases/?status=draft").content.decode()
    assert "Draft case" in body
    assert "Live case" not in body


@pytest.mark.django_db
def test_it_filters_by_modality_region_and_category(client: Client, resident: AbstractUser) -> None:
    CaseFactory(unknown_title="Bone scan case", modalities="NM CT", region="chest")
    CaseFactory(unknown_title="Radiograph case", modalities="CR", region="musculoskeletal")
    client.force_login(resident)
    body = client.get("/cases/?modality=CT").content.decode()
    assert "Bone scan case" in body and "Radiograph case" not in body
    body = client.get("/cases/?region=musculoskeletal").content.decode()
    assert "Radiograph case" in body and "Bone scan case" not in body
    body = client.get("/cases/?modality=bogus").content.decode()
    assert "Radiograph case" in body and "Bone scan case" in body


@pytest.mark.django_db
def test_htmx_request_gets_only_the_results_partial(client: Client, resident: AbstractUser) -> None:
    CaseFactory(unknown_title="Bone scan case")
    client.force_login(resident)
    response = client.get("/cases/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="case-results"')
    assert "<html" not in body
    assert "Bone scan case" in body


@pytest.mark.django_db
def test_it_makes_the_same_number_of_queries_for_5_and_200_cases(
    client: Client, resident: AbstractUser
) -> None:
    client.force_login(resident)
    CaseFactory.create_batch(5)
    with_five = _queries_for(client, "/cases/")
    CaseFactory.create_batch(195)
    with_two_hundred = _queries_for(client, "/cases/")
    assert with_five == with_two_hundred
    assert with_two_hundred <= 7  # issue 18: + the curriculum domains of the filter
