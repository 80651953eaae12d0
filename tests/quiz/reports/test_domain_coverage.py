"""Coverage of the curriculum map: cases answered per domain, per resident."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from quiz.models import Cohort
from quiz.reports.resident import resident_topics
from teachingfile.models import CurriculumDomain
from tests.factories import AttemptFactory, CaseFactory, QuestionFactory, ResponseFactory


def _answer(resident: AbstractUser, domain_codes: list[str], score: float = 1.0) -> None:
    case = CaseFactory()
    case.domains.set(CurriculumDomain.objects.filter(code__in=domain_codes))
    ResponseFactory(
        attempt=AttemptFactory(user=resident, finished_at="2026-11-01T10:00Z"),
        question=QuestionFactory(case=case),
        score=score,
    )


@pytest.mark.django_db
def test_the_abr_core_domains_are_seeded_with_their_source() -> None:
    thoracic = CurriculumDomain.objects.get(code="thoracic")
    assert thoracic.name == "Thoracic imaging" and "ABR" in thoracic.source
    assert CurriculumDomain.objects.count() == 18


@pytest.mark.django_db
def test_it_counts_cases_answered_per_domain(resident: AbstractUser) -> None:
    _answer(resident, ["thoracic", "cardiac"])
    _answer(resident, ["thoracic"], score=0.0)
    rows = {row["key"]: row for row in resident_topics(resident.pk)["domain"]}
    assert rows["thoracic"]["cases"] == 2 and rows["thoracic"]["average"] == 0.5
    assert rows["cardiac"]["cases"] == 1
    assert "breast" not in rows


@pytest.mark.django_db
def test_the_director_downloads_domain_coverage(
    client: Client, director: AbstractUser, resident: AbstractUser, cohort: Cohort
) -> None:
    _answer(resident, ["musculoskeletal"])
    client.force_login(director)
    response = client.get(reverse("reports:resident_csv", args=[resident.pk]), {"table": "domain"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["domain", "cases answered", "responses", "average score per answer"]
    assert rows[1][:3] == ["Musculoskeletal imaging", "1", "1"]
    page = client.get(reverse("reports:resident_detail", args=[resident.pk])).content.decode()
    assert "Curriculum domain" in page and "Cases answered" in page


@pytest.mark.django_db
def test_the_resident_sees_their_domain_coverage(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    _answer(resident, ["neuroradiology"])
    client.force_login(resident)
    page = client.get(reverse("quiz:progress")).content.decode()
    assert "Curriculum domain" in page and "Neuroradiology" in page
