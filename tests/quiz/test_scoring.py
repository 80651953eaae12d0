"""The scoring rules, as pure functions (docs/scoring.md states them in words)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quiz import scheduling, scoring

THRESHOLD = 88


def _seed_accepted(public_id: str, order: int) -> list[tuple[str, float]]:
    document = json.loads(Path("fixtures/seed_cases.json").read_text(encoding="utf-8"))
    case = next(c for c in document["cases"] if c["public_id"] == public_id)
    question = next(q for q in case["questions"] if q["order"] == order)
    return [(a["text"], a["score"]) for a in question["accepted_answers"]]


def test_normalise_ignores_case_accents_punctuation_spacing_and_word_order() -> None:
    assert scoring.normalise("  Calcific-URÉMIC   arteriolopathy! ") == scoring.normalise(
        "arteriolopathy calcific uremic"
    )


@pytest.mark.parametrize("typed", ["calciphylaxis", "Calciophylaxis", "CALCIPHYLAXIS."])
def test_seed_002_accepts_both_spellings_of_calciphylaxis(typed: str) -> None:
    outcome = scoring.score_free_text(typed, _seed_accepted("tf-0003", 2), threshold=THRESHOLD)
    assert outcome.score == 1.0 and outcome.method == "auto"
    assert outcome.judgement.startswith("Matched accepted answer")


def test_a_typo_within_the_threshold_is_a_close_match() -> None:
    outcome = scoring.score_free_text(
        "calcifylaxis", _seed_accepted("tf-0003", 2), threshold=THRESHOLD
    )
    assert outcome.score == 1.0
    assert "Close match (typo tolerance)" in outcome.judgement
    assert "threshold 88" in outcome.judgement


@pytest.mark.parametrize(
    ("typed", "score"),
    [("calcific uraemic arteriolopathy", 1.0), ("CKD", 1.0), ("uraemia", 0.75)],
)
def test_synonyms_from_the_seeds_score_their_own_credit(typed: str, score: float) -> None:
    accepted = _seed_accepted("tf-0003", 2) + _seed_accepted("tf-0002", 2)
    assert scoring.score_free_text(typed, accepted, threshold=THRESHOLD).score == score


def test_a_partial_accepted_answer_gives_partial_credit_and_says_so() -> None:
    outcome = scoring.score_free_text(
        "metastatic calcification", _seed_accepted("tf-0003", 2), threshold=THRESHOLD
    )
    assert outcome.score == 0.5 and "partial credit 0.5" in outcome.judgement


def test_a_near_miss_waits_for_self_assessment() -> None:
    outcome = scoring.score_free_text("calcinosis", [("calciphylaxis", 1.0)], threshold=88)
    assert outcome.score is None and outcome.method == "pending"


def test_a_long_answer_waits_for_self_assessment() -> None:
    outcome = scoring.score_free_text(
        "I think this is probably calciphylaxis of the legs", [("calciphylaxis", 1.0)], threshold=88
    )
    assert outcome.method == "pending"


def test_an_unrelated_answer_scores_zero() -> None:
    outcome = scoring.score_free_text("pneumonia", [("calciphylaxis", 1.0)], threshold=88)
    assert outcome.score == 0.0 and "No accepted answer matched" in outcome.judgement


def test_a_blank_free_text_answer_scores_zero() -> None:
    assert scoring.score_free_text("  ", [("x", 1.0)], threshold=88).score == 0.0


def test_single_best_answer_is_one_or_zero() -> None:
    assert scoring.score_single([1], [1]).score == 1.0
    assert scoring.score_single([1], [2]).score == 0.0
    assert scoring.score_single([1], [1, 2]).score == 0.0  # two picks is not one answer


@pytest.mark.parametrize(
    ("selected", "expected"),
    [({1, 2, 3, 4}, 1.0), ({1, 2}, 0.5), ({1, 2, 5}, 0.25), ({1, 5}, 0.0), ({5}, 0.0)],
)
def test_multiple_correct_partial_credit_rule(selected: set[int], expected: float) -> None:
    # max(0, (right picks - wrong picks) / number of right answers), as in seed tf-0003 Q3.
    assert scoring.score_multiple([1, 2, 3, 4], selected).score == pytest.approx(expected)


def test_self_assessment_scores() -> None:
    assert [scoring.self_assessed(v).score for v in ("right", "partly", "wrong")] == [1, 0.5, 0]
    with pytest.raises(ValueError):
        scoring.self_assessed("maybe")


def test_mean_score_skips_pending_answers() -> None:
    assert scoring.mean_score([1.0, None, 0.0]) == 0.5
    assert scoring.mean_score([None]) is None


@pytest.mark.parametrize(
    ("score", "rating"), [(0.0, "Again"), (0.4, "Again"), (0.5, "Hard"), (1.0, "Good")]
)
def test_scores_map_to_fsrs_ratings(score: float, rating: str) -> None:
    assert scheduling.rating_for(score).name == rating


def test_a_good_answer_spaces_the_next_review_further_than_a_miss() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    missed = scheduling.review(None, score=0.0, at=now)
    learned = scheduling.review(missed.state, score=1.0, at=missed.due)
    again = scheduling.review(missed.state, score=0.0, at=missed.due)
    assert missed.due > now and missed.lapsed
    assert learned.due - missed.due > again.due - missed.due
