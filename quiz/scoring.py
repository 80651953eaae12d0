"""Scoring rules as pure functions: no database, no request, so every rule is unit-tested.

See docs/scoring.md for the rules in words; the reveal quotes the `judgement` strings.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# One normal form of free text for scoring, spoiler checks and answer grouping.
from teachingfile.text import normalise as normalise

# Below the match threshold but at least this similar: too close to call "wrong" by machine.
GREY_ZONE_FLOOR = 60
# Answers this long are sentences, not terms: a person judges them better than a ratio.
LONG_ANSWER_WORDS = 6

AUTO = "auto"
PENDING = "pending"


@dataclass(frozen=True)
class Outcome:
    """A scored answer: score 0..1 (None while awaiting self-assessment), how, and why."""

    score: float | None
    method: str
    judgement: str
    matched: str = ""
    similarity: int | None = None


def similarity(answer: str, accepted: str) -> int:
    """0-100: the better of rapidfuzz's plain and word-order-insensitive ratios."""
    a = normalise(answer, sort_words=False)
    b = normalise(accepted, sort_words=False)
    return round(max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)))


def _format_score(score: float) -> str:
    return f"{score:g}"


def score_free_text(
    answer: str, accepted: Sequence[tuple[str, float]], *, threshold: int
) -> Outcome:
    """Score a free-text answer against (text, score) accepted answers and synonyms.

    Exact match after normalising wins; then the most similar accepted answer at or above
    the threshold; a near miss or a long answer waits for the learner's self-assessment;
    anything else scores 0.
    """
    given = normalise(answer)
    if not given:
        return Outcome(0.0, AUTO, "No answer given.")
    exact = [(text, score) for text, score in accepted if normalise(text) == given]
    if exact:
        text, score = max(exact, key=lambda pair: pair[1])
        score = float(score)
        credit = "" if score >= 1 else f" (partial credit {_format_score(score)})"
        return Outcome(score, AUTO, f"Matched accepted answer '{text}'{credit}.", text, 100)

    ranked = sorted(
        ((similarity(answer, text), score, text) for text, score in accepted),
        key=lambda row: (row[0], row[1]),
        reverse=True,
    )
    best_similarity, best_score, best_text = ranked[0] if ranked else (0, 0.0, "")
    best_score = float(best_score)
    if best_similarity >= threshold:
        credit = "" if best_score >= 1 else f", partial credit {_format_score(best_score)}"
        return Outcome(
            best_score,
            AUTO,
            f"Close match (typo tolerance) to accepted answer '{best_text}' "
            f"(similarity {best_similarity}, threshold {threshold}{credit}).",
            best_text,
            best_similarity,
        )
    if best_similarity >= GREY_ZONE_FLOOR or len(given.split()) >= LONG_ANSWER_WORDS:
        return Outcome(
            None,
            PENDING,
            f"Not decided automatically: closest accepted answer '{best_text}' "
            f"(similarity {best_similarity}, threshold {threshold}). Compare and judge yourself.",
            best_text,
            best_similarity,
        )
    return Outcome(
        0.0,
        AUTO,
        f"No accepted answer matched (closest similarity {best_similarity}, "
        f"threshold {threshold}).",
        "",
        best_similarity,
    )


def score_single(correct: Collection[int], selected: Collection[int]) -> Outcome:
    """Single best answer: 1 for the correct choice, else 0."""
    chosen = set(selected)
    if not chosen:
        return Outcome(0.0, AUTO, "No answer given.")
    if len(chosen) == 1 and chosen <= set(correct):
        return Outcome(1.0, AUTO, "Correct choice.")
    return Outcome(0.0, AUTO, "Incorrect choice.")


def score_multiple(correct: Collection[int], selected: Collection[int]) -> Outcome:
    """Multiple correct answers: max(0, (right picks - wrong picks) / number of right answers)."""
    right = set(correct)
    chosen = set(selected)
    if not chosen:
        return Outcome(0.0, AUTO, "No answer given.")
    if not right:
        # A question with no correct choice cannot be published; guard the division anyway.
        return Outcome(0.0, AUTO, "This question has no correct choice.")
    hits = len(chosen & right)
    misses = len(chosen - right)
    score = max(0.0, (hits - misses) / len(right))
    return Outcome(
        score,
        AUTO,
        f"{hits} of {len(right)} correct choices selected, {misses} incorrect "
        f"selected: max(0, ({hits} - {misses}) / {len(right)}) = {score:.2f}.",
    )


# Self-assessment: the learner's own verdict on an answer the machine could not judge.
SELF_SCORES = {"right": 1.0, "partly": 0.5, "wrong": 0.0}


def self_assessed(verdict: str) -> Outcome:
    if verdict not in SELF_SCORES:
        raise ValueError(f"Unknown self-assessment {verdict!r}.")
    return Outcome(SELF_SCORES[verdict], "self", f"Self-assessed: {verdict}.")


def mean_score(
    scores: Sequence[float | None], marks: Sequence[float] | None = None
) -> float | None:
    """The attempt's score: scored responses weighted by their question's maximum mark.

    Pending ones wait. With every mark 1 (the default) this is the plain mean; otherwise it
    is Moodle's grade, the marks obtained over the marks available (docs/statistics.md).
    """
    weights = marks if marks is not None else [1.0] * len(scores)
    known = [(s, w) for s, w in zip(scores, weights, strict=True) if s is not None]
    total = sum(w for _, w in known)
    return sum(s * w for s, w in known) / total if total else None
