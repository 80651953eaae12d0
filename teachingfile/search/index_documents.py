"""What each indexed document of a case holds.

The public document is built only from what the unknown case page shows before an
answer; nothing revealed (titles, diagnosis, findings, keywords, captions, explanations)
may ever be added to it, because matches on it are shown to learners who have not
answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from teachingfile.models import Case, Figure


@dataclass(frozen=True)
class CaseDocuments:
    public_title: str
    public_body: str
    full_title: str
    full_body: str


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def build_documents(case: Case) -> CaseDocuments:
    """Both documents of one case; related rows should be prefetched for bulk work."""
    before = [
        case.presentation,
        case.age_sex,
        " ".join(case.modality_labels),
        case.get_region_display() if case.region else "",
    ]
    before += [
        f"{lab.name} {lab.value} {lab.unit}".strip()
        for lab in case.lab_values.all()
        if lab.shown_before_reveal
    ]
    figures = list(case.figures.all())
    before += [
        f"{figure.neutral_caption} {figure.alt_text}"
        for figure in figures
        if figure.stage == Figure.Stage.QUESTION
    ]
    questions = list(case.questions.all())
    # A progressive case shows its first question only until it is answered; a later
    # prompt can give an earlier answer away, so it is searchable once revealed.
    asked_first = questions[:1] if case.progressive else questions
    before += [question.prompt for question in asked_first]

    revealed = [
        case.diagnosis,
        case.full_history,
        case.technique,
        case.findings,
        case.discussion,
        case.teaching_points,
        case.follow_up,
        case.acr_code,
        case.get_category_display() if case.category else "",
        " ".join(keyword.name for keyword in case.keywords.all()),
        case.authors,
    ]
    revealed += [lab.name for lab in case.lab_values.all() if not lab.shown_before_reveal]
    revealed += [f"{d.diagnosis} {d.note}" for d in case.differentials.all()]
    revealed += [figure.caption for figure in figures]
    revealed += [question.prompt for question in questions if question not in asked_first]
    revealed += [question.explanation for question in questions]
    revealed += [reference.citation for reference in case.references.all()]
    return CaseDocuments(
        public_title=case.unknown_title,
        public_body=_join(before),
        full_title=_join([case.known_title, case.unknown_title]),
        full_body=_join(before + revealed),
    )


PREFETCH = ["keywords", "lab_values", "figures", "questions", "differentials", "references"]
