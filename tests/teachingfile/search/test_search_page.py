"""The /search/ page: plain GET and htmx partial, no spoilers, fixed query count."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from teachingfile.models import Case
from teachingfile.search.services import index_case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _case(**fields: object) -> Case:
    case = CaseFactory(**fields)
    index_case(case)
    return case


def test_it_requires_login(client: Client) -> None:
    response = client.get("/search/?q=pain")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_rejects_post(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    assert client.post("/search/", {"q": "pain"}).status_code == 405


def test_it_shows_unknown_titles_and_no_hidden_text_to_a_learner(
    client: Client, resident: AbstractUser
) -> None:
    case = _case(
        unknown_title="Woman with calf pain",
        presentation="Calf pain and an ulcer.",
        known_title="Calciphylaxis on bone scan",
        diagnosis="Calciphylaxis",
        findings="Subcutaneous calcification.",
    )
    client.force_login(resident)
    body = client.get("/search/?q=calf").content.decode()
    assert "Woman with calf pain" in body
    assert case.get_absolute_url() in body
    for secret in ("Calciphylaxis", "Subcutaneous", "Secret"):
        assert secret not in body
    assert "0 cases" in client.get("/search/?q=calciphylaxis").content.decode()


def test_the_plain_page_has_the_form_and_htmx_gets_only_the_results(
    client: Client, resident: AbstractUser
) -> None:
    _case(unknown_title="Man with hip pain", presentation="Hip pain.")
    client.force_login(resident)
    full = client.get("/search/?q=hip").content.decode()
    assert "<html" in full and 'name="q"' in full and "Man with hip pain" in full
    partial = client.get("/search/?q=hip", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="search-results"')
    assert "<html" not in partial
    assert "Man with hip pain" in partial


def test_an_empty_query_explains_what_to_type(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    body = client.get("/search/?page=x&difficulty=9&modality=bogus").content.decode()
    assert "Type one or more words" in body


def test_it_links_to_the_next_page(client: Client, resident: AbstractUser) -> None:
    for _ in range(21):
        _case(presentation="Elbow pain.")
    client.force_login(resident)
    first = client.get("/search/?q=elbow").content.decode()
    assert "21 cases" in first and "page=2" in first
    second = client.get("/search/?q=elbow&page=2").content.decode()
    assert second.count('class="search-hit"') == 1


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["resident", "faculty"])
def test_it_makes_the_same_number_of_queries_for_3_and_60_matches(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    for _ in range(3):
        _case(presentation="Neck swelling.")
    few = _queries_for(client, "/search/?q=neck")
    for _ in range(57):
        _case(presentation="Neck swelling.")
    many = _queries_for(client, "/search/?q=neck")
    assert few == many
    assert many <= 9  # PostgreSQL adds a savepoint and a SET LOCAL


def test_the_case_list_offers_a_search_box(client: Client, resident: AbstractUser) -> None:
    client.force_login(resident)
    body = client.get("/cases/").content.decode()
    assert 'action="/search/"' in body
