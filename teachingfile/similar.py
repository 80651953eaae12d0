"""Cases to try after the reveal: the published cases that share the most with this one."""

from __future__ import annotations

import re

from django.db.models import Case as Conditional
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When

from teachingfile.models import Case

# Weights: a shared keyword or ACR code says more than a shared broad category.
KEYWORD_WEIGHT = 3
ACR_WEIGHT = 4
ACR_SECTION_WEIGHT = 1
DIAGNOSIS_WORD_WEIGHT = 2
CATEGORY_WEIGHT = 1
MAX_DIAGNOSIS_WORDS = 6
_WORD = re.compile(r"[a-z][a-z\-]{3,}")
_COMMON = frozenset(
    (
        "with",
        "from",
        "without",
        "after",
        "before",
        "due",
        "secondary",
        "primary",
        "case",
        "cases",
        "disease",
        "syndrome",
        "type",
        "left",
        "right",
        "bilateral",
        "chronic",
        "acute",
    )
)


def diagnosis_words(text: str) -> list[str]:
    """The distinctive words of a diagnosis, longest first (they say the most)."""
    words = {w.strip("-") for w in _WORD.findall(text.lower())} - _COMMON
    return sorted(words, key=lambda w: (-len(w), w))[:MAX_DIAGNOSIS_WORDS]


def similar_cases(case: Case, limit: int = 5) -> list[Case]:
    """Published cases ranked by what they share with this one; two queries, whatever the size.

    Each result carries `similarity` (the score) and the listing fields only, so the
    reveal can list them by unknown title without loading their reveals.
    """
    # A case loaded with its keyword ids (quiz.reading.case_queryset) saves the first query.
    keyword_ids = getattr(case, "keyword_ids", None)
    if keyword_ids is None:
        keyword_ids = list(case.keywords.values_list("pk", flat=True))
    score = Value(0, output_field=IntegerField())
    matches = Q(pk__in=[])
    if keyword_ids:
        score = score + KEYWORD_WEIGHT * Count(
            "keywords", filter=Q(keywords__in=keyword_ids), distinct=True
        )
        matches |= Q(keywords__in=keyword_ids)
    if case.acr_code:
        score = score + _when(Q(acr_code=case.acr_code), ACR_WEIGHT)
        matches |= Q(acr_code=case.acr_code)
        section = case.acr_code.split(".")[0]
        if section and section != case.acr_code:
            # Same anatomic field of the ACR index (the part before the dot).
            score = score + _when(Q(acr_code__startswith=f"{section}."), ACR_SECTION_WEIGHT)
    for word in diagnosis_words(case.diagnosis):
        score = score + _when(Q(diagnosis__icontains=word), DIAGNOSIS_WORD_WEIGHT)
        matches |= Q(diagnosis__icontains=word)
    if case.category:
        score = score + _when(Q(category=case.category), CATEGORY_WEIGHT)
        matches |= Q(category=case.category)
    candidates: QuerySet[Case] = (
        Case.objects.published()
        .exclude(pk=case.pk)
        .filter(matches)
        .for_listing()
        .annotate(similarity=score)
        .order_by("-similarity", "public_id")
    )
    return list(candidates[:limit])


def _when(condition: Q, weight: int) -> Conditional:
    return Conditional(
        When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField()
    )
