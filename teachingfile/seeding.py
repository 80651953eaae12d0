"""Load the seed cases (fixtures/seed_cases.json) with drawn illustration figures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from teachingfile import drawings, services
from teachingfile.models import (
    Case,
)

SEED_FILE = Path(settings.BASE_DIR) / "fixtures" / "seed_cases.json"

_CASE_FIELDS = [
    "unknown_title",
    "known_title",
    "presentation",
    "full_history",
    "technique",
    "findings",
    "diagnosis",
    "diagnostic_certainty",
    "discussion",
    "teaching_points",
    "follow_up",
    "region",
    "category",
    "acr_code",
    "patient_age",
    "patient_sex",
    "authors",
    "credits",
    "source_citation",
    "source_url",
    "source_doi",
    "source_reference",
    "licence",
    "companion_note",
    "progressive",
]


def read_seed_document(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("version") != 1:
        raise ValueError(f"{path} has version {document.get('version')!r}; this code reads 1")
    return document["cases"]


def load_seed_cases(*, path: Path = SEED_FILE, owner: User | None = None) -> list[Case]:
    """Create the seed cases that are missing, published; existing ids are left alone."""
    created = []
    entries = read_seed_document(path)
    existing = set(
        Case.objects.filter(public_id__in=[e["public_id"] for e in entries]).values_list(
            "public_id", flat=True
        )
    )
    for entry in entries:
        if entry["public_id"] not in existing:
            created.append(_create_case(entry, owner))
    _link_companions(entries)
    return created


def _create_case(entry: dict[str, Any], owner: User | None) -> Case:
    from teachingfile.illustrations import render_illustration

    fields: dict[str, object] = {
        name: entry[name] if entry[name] is not None else "" for name in _CASE_FIELDS
    }
    fields["patient_age"] = entry["patient_age"]
    fields["modalities"] = " ".join(entry["modalities"])
    if entry.get("source_date"):
        fields["source_date"] = dt.date.fromisoformat(entry["source_date"])
    # Tests draw smaller illustrations: the same flows, a fraction of the pixels to encode.
    side = getattr(settings, "SEED_ILLUSTRATION_SIZE", 1024)
    figures = []
    for fig in sorted(entry["figures"], key=lambda f: f["order"]):
        draw = fig["illustration"]
        figures.append(
            services.FigureSpec(
                label=fig["label"],
                caption=fig["caption"],
                neutral_caption=fig["neutral_caption"],
                alt_text=fig["alt_text"],
                stage=fig["stage"],
                series=fig.get("series") or "",
                image=render_illustration(draw, label=fig["label"], size=(side, side)),
                image_name="illustration.png",
                annotated=render_illustration(
                    draw, label=fig["label"], annotated=True, size=(side, side)
                )
                if fig.get("annotated")
                else None,
                annotated_name="illustration.png",
            )
        )
    questions = [
        services.QuestionSpec(
            prompt=q["prompt"],
            kind=q["kind"],
            explanation=q["explanation"],
            choices=[services.ChoiceSpec(**choice) for choice in q["choices"]],
            accepted=[services.AnswerSpec(**answer) for answer in q["accepted_answers"]],
        )
        for q in sorted(entry["questions"], key=lambda q: q["order"])
    ]
    spec = services.CaseSpec(
        fields=fields,
        keywords=[name.strip().lower() for name in entry["keywords"]],
        lab_values=entry["lab_values"],
        differentials=entry["differential"],
        references=entry["references"],
        ratings=entry["ratings"],
        figures=figures,
        questions=questions,
    )
    case = services.case_build(
        spec=spec,
        owner=owner,
        note=f"Loaded from the seed document {entry['source_file']}.",
        status=Case.Status.PUBLISHED,
        public_id=entry["public_id"],
    )
    _add_drawings(case, entry)
    return case


def _add_drawings(case: Case, entry: dict[str, Any]) -> None:
    """Drawn annotations and click-on-the-finding regions (issue 16), by figure label."""
    figures = {figure.label: figure for figure in case.figures.all()}
    for spec in entry["figures"]:
        if spec.get("annotations"):
            figure = figures[spec["label"]]
            figure.annotations = drawings.clean_annotations(spec["annotations"])
            figure.save(update_fields=["annotations"])
    questions = {question.order: question for question in case.questions.all()}
    for spec in entry["questions"]:
        if spec.get("region"):
            region = spec["region"]
            question = questions[spec["order"]]
            question.region_figure = figures[region["figure"]]
            question.regions = drawings.clean_regions(region["regions"])
            question.region_mode = region["mode"]
            question.region_margin = region.get("margin", 0.0)
            question.save()
    if any(spec.get("annotations") for spec in entry["figures"]):
        services.case_touch(case)


def _link_companions(entries: list[dict[str, Any]]) -> None:
    by_id = {
        c.public_id: c for c in Case.objects.filter(public_id__in=[e["public_id"] for e in entries])
    }
    for entry in entries:
        case = by_id.get(entry["public_id"])
        companions = [by_id[c] for c in entry["companions"] if c in by_id]
        if case and companions:
            case.companions.add(*companions)
