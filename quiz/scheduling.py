"""Spaced review with FSRS (the `fsrs` package): a missed question comes back until learned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

# One scheduler for the site; fuzzing off so that a schedule is reproducible in tests and
# two learners with the same history see the same due date.
_SCHEDULER = Scheduler(enable_fuzzing=False)


def rating_for(score: float) -> Rating:
    """Map a response score to an FSRS rating: Again below 0.5, Hard below 1, else Good."""
    if score < 0.5:
        return Rating.Again
    if score < 1:
        return Rating.Hard
    return Rating.Good


@dataclass(frozen=True)
class Review:
    state: dict[str, Any]
    due: datetime
    lapsed: bool


def review(state: dict[str, Any] | None, *, score: float, at: datetime) -> Review:
    """Apply one answer to a card's stored state (empty for a new card); return the next."""
    card = Card.from_dict(state) if state else Card(due=at)
    rating = rating_for(score)
    updated, _log = _SCHEDULER.review_card(card, rating, review_datetime=at)
    return Review(state=updated.to_dict(), due=updated.due, lapsed=rating == Rating.Again)
