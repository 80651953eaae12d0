"""What an imported draft holds, all of it or what residents may read before answering."""

from __future__ import annotations

from teachingfile.importing.sweep import date_forms
from teachingfile.models import Case, Sex


def draft_text(case: Case) -> str:
    """Everything the draft holds, as one text: fields, lists, questions and unplaced."""
    parts = [
        str(getattr(case, f.name) or "")
        for f in Case._meta.concrete_fields
        if f.name not in ("id", "owner", "patient_sex")
    ]
    parts.append(Sex(case.patient_sex).label)
    if case.source_date:
        parts.append(date_forms(case.source_date))
    parts += [k.name for k in case.keywords.all()]
    parts += [f"{x.name} {x.value} {x.unit} {x.reference_range}" for x in case.lab_values.all()]
    parts += [f"{d.diagnosis} {d.note}" for d in case.differentials.all()]
    parts += [f"{r.citation} {r.doi} {r.pmid} {r.url}" for r in case.references.all()]
    parts += [f"{f.label} {f.caption} {f.neutral_caption}" for f in case.figures.all()]
    parts += [f"#D{r.difficulty} #Q{r.quality}" for r in case.ratings.all()]
    for question in case.questions.all():
        parts.append(f"Q{question.order} {question.prompt} {question.explanation}")
        parts += [f"{c.text} {c.rationale}" for c in question.choices.all()]
        parts += [a.text for a in question.accepted_answers.all()]
    return "\n".join(parts)


def pre_reveal_text(case: Case) -> str:
    """What a resident can read before answering."""
    parts = [case.unknown_title, case.presentation]
    for question in case.questions.all():
        parts.append(question.prompt)
        parts += [c.text for c in question.choices.all()]
    for figure in case.figures.all():
        parts += [figure.neutral_caption, figure.alt_text]
    parts += [f"{x.name} {x.value}" for x in case.lab_values.filter(shown_before_reveal=True)]
    return "\n".join(parts).lower()
