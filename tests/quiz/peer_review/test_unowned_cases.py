"""Cases loaded from fixtures or imports have no owner and steps taken by no one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from teachingfile.models import StatusChange
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_the_review_page_of_a_seeded_case_names_the_system(
    client: Client, faculty: AbstractUser
) -> None:
    case = CaseFactory(owner=None)
    StatusChange.objects.create(case=case, from_status="", to_status="published", note="Seeded.")
    client.force_login(faculty)
    response = client.get(f"/cases/{case.public_id}/peer-review/")
    assert response.status_code == 200
    assert "the system" in response.content.decode()


def test_the_review_queue_lists_a_case_without_an_owner(
    client: Client, faculty: AbstractUser
) -> None:
    case = CaseFactory(owner=None, status="in_review")
    client.force_login(faculty)
    response = client.get("/peer-review/")
    assert response.status_code == 200
    body = response.content.decode()
    assert case.unknown_title in body
    assert "no owner" in body
