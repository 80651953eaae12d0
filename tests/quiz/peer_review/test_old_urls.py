"""Peer review moved from /review-queue/ and /cases/<id>/review/ (issue 14): old links land."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import CaseFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/review-queue/", "/peer-review/"),
        ("/review-queue/?status=in_review", "/peer-review/?status=in_review"),
        ("/cases/{id}/review/", "/cases/{id}/peer-review/"),
        ("/cases/{id}/review/status/", "/cases/{id}/peer-review/status/"),
        ("/cases/{id}/review/rating/", "/cases/{id}/peer-review/rating/"),
    ],
)
def test_it_redirects_the_old_peer_review_addresses(client: Client, old: str, new: str) -> None:
    case = CaseFactory()
    response = client.get(old.format(id=case.public_id))
    assert response.status_code == 308
    assert response["Location"] == new.format(id=case.public_id)


@pytest.mark.django_db
def test_it_keeps_a_post_to_the_old_rating_address_a_post(client: Client) -> None:
    case = CaseFactory()
    response = client.post(f"/cases/{case.public_id}/review/rating/", {"difficulty": "3"})
    # 308, not 302: the browser re-sends the form to the new address.
    assert response.status_code == 308
    assert response["Location"] == f"/cases/{case.public_id}/peer-review/rating/"


@pytest.mark.django_db
def test_it_leaves_the_residents_practice_review_where_it_was(client: Client) -> None:
    # /review/ is practice review (residents' spaced repetition), not peer review.
    response = client.get("/review/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
