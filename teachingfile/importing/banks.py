"""Question banks (Moodle XML, GIFT): their questions in and out of the app.

Both formats carry the app's three kinds: single best answer, multiple correct answers
(each correct choice worth the same share, a wrong pick taking one share off, as
docs/scoring.md scores them) and short answer with alternatives and partial credit.
On import each question becomes a draft case of its own, or joins a chosen case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from teachingfile import services as case_services
from teachingfile.models import Case, Question
from teachingfile.services import AnswerSpec, CaseSpec, ChoiceSpec, QuestionSpec

# Moodle accepts only these grade fractions (percent); 100/n for n = 1..10 are all here.
MOODLE_FRACTIONS = (
    100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
    16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0,
)  # fmt: skip


@dataclass
class BankQuestion:
    """One question read from a bank, with what the app has no field for."""

    name: str
    spec: QuestionSpec
    category: str = ""
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def nearest_fraction(percent: float) -> float:
    """The Moodle grade closest to a percentage (sign kept)."""
    sign = -1 if percent < 0 else 1
    return sign * min(MOODLE_FRACTIONS, key=lambda f: abs(f - abs(percent)))


def fraction_text(percent: float) -> str:
    return f"{nearest_fraction(percent):.7g}"


def choice_shares(question: QuestionSpec) -> list[float]:
    """Each choice's grade in percent: what docs/scoring.md gives for picking it."""
    correct = sum(1 for c in question.choices if c.is_correct)
    if question.kind == Question.Kind.SINGLE:
        return [100.0 if c.is_correct else 0.0 for c in question.choices]
    share = 100.0 / max(correct, 1)
    return [share if c.is_correct else -share for c in question.choices]


def question_spec_of(question: Question) -> QuestionSpec:
    """A stored question as a plain description (choices and accepted answers prefetched)."""
    return QuestionSpec(
        prompt=question.prompt,
        kind=question.kind,
        explanation=question.explanation,
        choices=[
            ChoiceSpec(text=c.text, is_correct=c.is_correct, rationale=c.rationale)
            for c in question.choices.all()
        ],
        accepted=[AnswerSpec(text=a.text, score=a.score) for a in question.accepted_answers.all()],
    )


def questions_for_export(cases: Iterable[Case]) -> list[tuple[str, QuestionSpec]]:
    """(name, question) for every question of the cases, named by the case's neutral id."""
    out = []
    for case in cases:
        # Image-region questions (issue 16) need their figure, which a bank cannot carry:
        # they stay out, as Moodle's own drag-and-drop marker questions stay out on import.
        questions = case.questions.exclude(kind=Question.Kind.REGION)
        for question in questions.prefetch_related("choices", "accepted_answers"):
            out.append((f"{case.public_id} Q{question.order}", question_spec_of(question)))
    return out


@transaction.atomic
def bank_import(
    *,
    questions: list[BankQuestion],
    owner: User | None,
    filename: str,
    case: Case | None = None,
) -> list[Case]:
    """Write the questions as drafts (one case each), or add them all to ``case``."""
    if case is not None:
        start = case.questions.aggregate(n=Max("order"))["n"] or 0
        for offset, item in enumerate(questions, start=1):
            case_services.question_add(case=case, spec=item.spec, order=start + offset)
        extra = [line for item in questions for line in item.unplaced]
        if extra:
            case.unplaced = "\n\n".join(filter(None, [case.unplaced, *extra]))
            case.save(update_fields=["unplaced", "updated_at"])
        return [case]
    cases = []
    for number, item in enumerate(questions, start=1):
        spec = CaseSpec(
            fields={
                # The bank's name for a question may name the answer: it is kept as the
                # known title (revealed), and the unknown title says nothing.
                "unknown_title": f"Imported question {number}",
                "known_title": item.name[:200],
                "diagnosis": _diagnosis_of(item.spec)[:300],
                "unplaced": "\n\n".join(item.unplaced),
            },
            keywords=[item.category.rsplit("/", 1)[-1].lower()[:100]] if item.category else [],
            questions=[item.spec],
        )
        missing = [name for name in ("presentation", "diagnosis") if not spec.fields.get(name)]
        cases.append(
            case_services.case_build(
                spec=spec,
                owner=owner,
                note=f"Imported from the question bank {filename[:150]}.",
                exclude=missing,
            )
        )
    return cases


def _diagnosis_of(spec: QuestionSpec) -> str:
    """The answer, when the question asks for the diagnosis; else empty (the author writes it)."""
    if "diagnos" not in spec.prompt.lower():
        return ""
    if spec.kind == Question.Kind.SINGLE:
        return next((c.text for c in spec.choices if c.is_correct), "")
    if spec.kind == Question.Kind.FREE_TEXT and spec.accepted:
        return max(spec.accepted, key=lambda a: a.score).text
    return ""
