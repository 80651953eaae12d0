"""Collections: saved from the case page, private or shared, never a window on drafts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from quiz.models import Cohort, Collection, CollectionItem, Quiz
from teachingfile.models import Case
from tests.factories import CaseFactory


@pytest.mark.django_db
def test_the_case_page_offers_add_to_collection(client: Client, resident: AbstractUser) -> None:
    case = CaseFactory()
    client.force_login(resident)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Add to collection" in page
    assert reverse("collections:collect", args=[case.public_id]) in page


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_a_resident_saves_a_case_to_a_new_collection(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    case = CaseFactory()
    client.force_login(resident)
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("collections:collect", args=[case.public_id])
    response = client.post(url, {"new_name": "To revisit"}, headers=headers)
    collection = Collection.objects.get(owner=resident)
    assert collection.name == "To revisit" and list(collection.cases.all()) == [case]
    if htmx:
        assert response.status_code == 200
        body = response.content.decode()
        assert 'id="collect"' in body and "Saved in" in body and "<html" not in body
    else:
        assert response.status_code == 302 and response["Location"] == case.get_absolute_url()


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_saving_without_a_collection_is_refused(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    case = CaseFactory()
    client.force_login(resident)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(reverse("collections:collect", args=[case.public_id]), headers=headers)
    assert response.status_code == (422 if htmx else 302)
    assert not CollectionItem.objects.exists()


@pytest.mark.django_db
def test_a_resident_cannot_save_a_draft(client: Client, resident: AbstractUser) -> None:
    draft = CaseFactory(status=Case.Status.DRAFT)
    client.force_login(resident)
    response = client.post(
        reverse("collections:collect", args=[draft.public_id]), {"new_name": "Peek"}
    )
    assert response.status_code == 404
    assert not Collection.objects.exists()


@pytest.mark.django_db
def test_a_shared_collection_never_shows_a_draft(
    client: Client, faculty: AbstractUser, resident: AbstractUser, cohort: Cohort
) -> None:
    published = CaseFactory(unknown_title="Published unknown")
    draft = CaseFactory(status=Case.Status.DRAFT, unknown_title="Draft unknown")
    collection = Collection.objects.create(owner=faculty, name="Week 3", shared_with=cohort)
    CollectionItem.objects.create(collection=collection, case=published)
    CollectionItem.objects.create(collection=collection, case=draft)

    client.force_login(faculty)
    assert "Draft unknown" in client.get(collection.get_absolute_url()).content.decode()
    client.force_login(resident)
    page = client.get(collection.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "Published unknown" in body
    assert "Draft unknown" not in body and draft.public_id not in body
    assert "Week 3" in client.get(reverse("collections:collection_list")).content.decode()


@pytest.mark.django_db
def test_a_private_collection_is_hidden_from_others(
    client: Client, resident: AbstractUser, other_resident: AbstractUser, director: AbstractUser
) -> None:
    collection = Collection.objects.create(owner=resident, name="Mine")
    for other in (other_resident, director):
        client.force_login(other)
        assert client.get(collection.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_collection_shared_with_another_cohort_is_hidden(
    client: Client, faculty: AbstractUser, other_resident: AbstractUser, cohort: Cohort
) -> None:
    collection = Collection.objects.create(owner=faculty, name="Home", shared_with=cohort)
    client.force_login(other_resident)
    assert client.get(collection.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_resident_shares_only_with_their_own_cohort(
    client: Client, resident: AbstractUser, cohort: Cohort
) -> None:
    other = Cohort.objects.create(program=cohort.program, name="PGY-4")
    client.force_login(resident)
    refused = client.post(
        reverse("collections:collection_list"), {"name": "X", "shared_with": other.pk}
    )
    assert refused.status_code == 422 and not Collection.objects.exists()
    client.post(reverse("collections:collection_list"), {"name": "X", "shared_with": cohort.pk})
    assert Collection.objects.get().shared_with == cohort


@pytest.mark.django_db
def test_faculty_turn_a_collection_into_a_quiz_in_one_step(
    client: Client, faculty: AbstractUser, resident: AbstractUser
) -> None:
    cases = [CaseFactory(), CaseFactory(), CaseFactory(status=Case.Status.DRAFT)]
    collection = Collection.objects.create(owner=faculty, name="Friday set")
    for case in cases:
        CollectionItem.objects.create(collection=collection, case=case)
    client.force_login(faculty)
    response = client.post(reverse("collections:collection_quiz", args=[collection.pk]))
    quiz = Quiz.objects.get()
    assert response["Location"] == reverse("quiz:quiz_edit", args=[quiz.pk])
    assert list(quiz.items.values_list("case_id", flat=True)) == [cases[0].pk, cases[1].pk]
    mine = Collection.objects.create(owner=resident, name="Resident set")
    client.force_login(resident)
    assert client.post(reverse("collections:collection_quiz", args=[mine.pk])).status_code == 404
