"""Collections: named sets of cases any user keeps, private or shared with one cohort.

Writes live here; who sees what is in quiz.rules (`collection_cases`, `shareable_cohorts`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from quiz import rules
from quiz.models import Cohort, Collection, CollectionItem
from teachingfile.models import Case


@transaction.atomic
def collection_create(*, owner: Any, name: str, shared_with: Cohort | None = None) -> Collection:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the collection a name."})
    if (
        shared_with is not None
        and not rules.shareable_cohorts(owner).filter(pk=shared_with.pk).exists()
    ):
        raise PermissionDenied("You cannot share a collection with that cohort.")
    if Collection.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationError({"name": f"You already have a collection called “{name}”."})
    collection = Collection(owner=owner, name=name, shared_with=shared_with)
    collection.full_clean()
    collection.save()
    return collection


@transaction.atomic
def collection_add_case(*, collection: Collection, case: Case, by: Any) -> bool:
    """Save the case in the collection; False if it was there already."""
    if collection.owner_id != by.pk:
        raise PermissionDenied("Only the owner adds cases to a collection.")
    if not Case.objects.visible_to(by).filter(pk=case.pk).exists():
        raise PermissionDenied("You cannot see this case.")
    _, created = CollectionItem.objects.get_or_create(collection=collection, case=case)
    return created


@transaction.atomic
def collection_remove_case(*, collection: Collection, case_id: int, by: Any) -> None:
    if collection.owner_id != by.pk:
        raise PermissionDenied("Only the owner removes cases from a collection.")
    CollectionItem.objects.filter(collection=collection, case_id=case_id).delete()
