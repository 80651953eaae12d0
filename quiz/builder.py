"""The faculty quiz builder: which cases match, how hard they are, and the writes.

Selection runs in SQL (vocabulary filters, keyword, "not yet answered by cohort X"); the
difficulty band is then read for the matching cases in two queries: measured facility
(quiz.reports.statistics, first attempts) where enough residents answered, faculty ratings
otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Q, QuerySet
from django.utils import timezone

from quiz.models import Cohort, Collection, Quiz, QuizItem, Response
from quiz.reports.statistics import MIN_N, counted_responses, item_statistics
from teachingfile.models import Case, Category, CurriculumDomain, Modality, Rating, Region

# Facility (share of marks) bands: the same cut points as the statistics pages' "too easy"
# and "too hard" flags would be too extreme for choosing cases, so a middle third is used.
EASY_FACILITY = 0.7
HARD_FACILITY = 0.4
# Faculty difficulty ratings, 1 (easy) .. 5 (hard).
EASY_RATING = 2.5
HARD_RATING = 3.5

BANDS = [("easy", "Easy"), ("medium", "Medium"), ("hard", "Hard"), ("unrated", "Not yet rated")]
MAX_SHOWN = 100  # cases listed for hand-picking; a draw uses every match
MAX_DRAW = 200


@dataclass(frozen=True)
class BuilderFilters:
    modality: str = ""
    region: str = ""
    category: str = ""
    domain: str = ""
    q: str = ""
    band: str = ""
    unseen_by: int | None = None

    @classmethod
    def from_params(cls, params: Any, cohorts: QuerySet[Cohort]) -> BuilderFilters:
        """Keep only recognised values: a bad filter is ignored, never an error."""
        unseen = str(params.get("unseen_by", ""))
        unseen_id = int(unseen) if unseen.isdigit() else None
        if unseen_id is not None and not cohorts.filter(pk=unseen_id).exists():
            unseen_id = None
        domain = str(params.get("domain", ""))
        return cls(
            modality=_known(params.get("modality"), Modality.values),
            region=_known(params.get("region"), Region.values),
            category=_known(params.get("category"), Category.values),
            domain=domain if CurriculumDomain.objects.filter(code=domain).exists() else "",
            q=str(params.get("q", "")).strip()[:100],
            band=_known(params.get("band"), [value for value, _ in BANDS]),
            unseen_by=unseen_id,
        )

    def as_params(self) -> dict[str, str]:
        params = {
            "modality": self.modality,
            "region": self.region,
            "category": self.category,
            "domain": self.domain,
            "q": self.q,
            "band": self.band,
            "unseen_by": str(self.unseen_by or ""),
        }
        return {key: value for key, value in params.items() if value}


def _known(value: Any, allowed: list[str]) -> str:
    return str(value) if value in allowed else ""


def matching_cases(filters: BuilderFilters) -> QuerySet[Case]:
    """Published cases that pass the SQL filters (everything but the difficulty band)."""
    cases = Case.objects.published()
    if filters.modality:
        cases = cases.with_modality(filters.modality)
    if filters.region:
        cases = cases.filter(region=filters.region)
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.domain:
        cases = cases.filter(domains__code=filters.domain)
    if filters.q:
        # Faculty see the whole case, so the keyword may match the reveal as well.
        words = Q(unknown_title__icontains=filters.q) | Q(known_title__icontains=filters.q)
        words |= Q(diagnosis__icontains=filters.q) | Q(keywords__name__icontains=filters.q)
        cases = cases.filter(pk__in=Case.objects.filter(words).values("pk"))
    if filters.unseen_by:
        answered = Response.objects.filter(user__memberships__cohort_id=filters.unseen_by).values(
            "case_id"
        )
        cases = cases.exclude(pk__in=answered)
    return cases.order_by("public_id")


def difficulty_bands(case_ids: list[int]) -> dict[int, str]:
    """Each case's band: measured facility when enough first attempts, else faculty rating."""
    if not case_ids:
        return {}
    measured = item_statistics(counted_responses().filter(case_id__in=case_ids), per="case")
    rated = dict(
        Rating.objects.filter(case_id__in=case_ids)
        .order_by()
        .values("case_id")
        .annotate(difficulty=Avg("difficulty"))
        .values_list("case_id", "difficulty")
    )
    bands = {}
    for case_id in case_ids:
        stats = measured.get(case_id)
        if stats is not None and stats.n >= MIN_N and stats.facility is not None:
            facility = stats.facility
            bands[case_id] = (
                "easy"
                if facility >= EASY_FACILITY
                else "hard"
                if facility < HARD_FACILITY
                else "medium"
            )
        elif rated.get(case_id) is not None:
            difficulty = rated[case_id]
            bands[case_id] = (
                "easy"
                if difficulty <= EASY_RATING
                else "hard"
                if difficulty >= HARD_RATING
                else "medium"
            )
        else:
            bands[case_id] = "unrated"
    return bands


def candidate_ids(filters: BuilderFilters) -> tuple[list[int], dict[int, str]]:
    """The ids of every matching case (band applied) and the band of each."""
    ids = list(matching_cases(filters).values_list("pk", flat=True))
    bands = difficulty_bands(ids)
    if filters.band:
        ids = [pk for pk in ids if bands[pk] == filters.band]
    return ids, bands


def draw(ids: list[int], count: int, *, rng: random.Random | None = None) -> list[int]:
    """`count` of the ids at random, in the drawn order."""
    if count < 1:
        raise ValidationError("Draw at least one case.")
    if count > len(ids):
        raise ValidationError(
            f"Only {len(ids)} case{'s' if len(ids) != 1 else ''} match these filters: "
            f"draw {len(ids)} or fewer, or widen the filters."
        )
    return (rng or random.SystemRandom()).sample(ids, count)


# --- writes ------------------------------------------------------------------------------


@transaction.atomic
def quiz_build(
    *,
    quiz: Quiz,
    case_ids: list[int],
    by: Any,
    cohort: Cohort | None = None,
    due_at: datetime | None = None,
) -> Quiz:
    """Save a new quiz with its cases in this order, and its assignment if one is asked."""
    if not case_ids:
        raise ValidationError("Choose at least one case.")
    published = set(Case.objects.published().filter(pk__in=case_ids).values_list("pk", flat=True))
    if published != set(case_ids):
        raise ValidationError("Only published cases can go in a quiz.")
    quiz.created_by = by
    quiz.full_clean()
    quiz.save()
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quiz, case_id=pk, order=position)
        for position, pk in enumerate(dict.fromkeys(case_ids))
    )
    if cohort is not None:
        from quiz.cohort_services import assignment_create

        assignment_create(cohort=cohort, quiz=quiz, due_at=due_at, by=by, now=timezone.now())
    return quiz


@transaction.atomic
def quiz_item_move(*, item: QuizItem, step: int = 0, position: int | None = None) -> None:
    """Move the item by `step` (-1 up, +1 down) or to `position` (0-based, from a drag).

    Renumbers the quiz's items 0..n-1; a target outside the list stops at its end.
    """
    items = list(QuizItem.objects.select_for_update().filter(quiz=item.quiz_id))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index + step if position is None else position
    moved = items.pop(index)
    items.insert(max(0, min(target, len(items))), moved)
    for position, other in enumerate(items):
        other.order = position
    QuizItem.objects.bulk_update(items, ["order"])


@transaction.atomic
def quiz_item_remove(*, item: QuizItem) -> None:
    from quiz.rules import quiz_has_attempts

    if quiz_has_attempts(item.quiz):
        raise ValidationError(
            "Residents have taken this quiz: its cases stay so their attempts remain valid. "
            "Make a copy to change the cases."
        )
    item.delete()


@transaction.atomic
def quiz_copy(*, quiz: Quiz, by: Any) -> Quiz:
    """A new quiz with the same options and cases, no attempts and no assignments."""
    copy = Quiz.objects.get(pk=quiz.pk)
    copy.pk = None
    copy.title = f"{quiz.title} (copy)"[:200]
    copy.created_by = by
    copy.is_open = False
    copy.save()
    QuizItem.objects.bulk_create(
        QuizItem(quiz=copy, case_id=item.case_id, order=item.order) for item in quiz.items.all()
    )
    return copy


@transaction.atomic
def quiz_from_collection(*, collection: Collection, by: Any) -> Quiz:
    """A practice quiz of the collection's published cases, in the order they were added."""
    ids = list(
        collection.items.filter(case__status=Case.Status.PUBLISHED).values_list(
            "case_id", flat=True
        )
    )
    if not ids:
        raise ValidationError("The collection holds no published case.")
    return quiz_build(
        quiz=Quiz(title=collection.name, mode=Quiz.Mode.PRACTICE), case_ids=ids, by=by
    )
