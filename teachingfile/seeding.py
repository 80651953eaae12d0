"""Load the seed cases (fixtures/seed_cases.json) with drawn illustration figures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from quiz.regions import clean_regions
from teachingfile import annotations, services
from teachingfile.models import (
    AcceptedAnswer,
    Case,
    Choice,
    DifferentialDiagnosis,
    Figure,
    Keyword,
    LabValue,
    Question,
    Rating,
    Reference,
    Series,
    StatusChange,
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


def load_seed_cases(*, path: Path = SEED_FILE, owner: AbstractBaseUser | None = None) -> list[Case]:
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


@transaction.atomic
def _create_case(entry: dict[str, Any], owner: AbstractBaseUser | None) -> Case:
    case = Case(public_id=entry["public_id"], owner=owner, status=Case.Status.PUBLISHED)
    for field in _CASE_FIELDS:
        setattr(case, field, entry[field] if entry[field] is not None else "")
    case.patient_age = entry["patient_age"]
    case.modalities = " ".join(entry["modalities"])
    if entry.get("source_date"):
        case.source_date = dt.date.fromisoformat(entry["source_date"])
    case.published_at = timezone.now()
    case.full_clean(exclude=["owner"])
    case.save()
    StatusChange.objects.create(
        case=case,
        from_status="",
        to_status=Case.Status.PUBLISHED,
        note=f"Loaded from the seed document {entry['source_file']}.",
    )
    case.keywords.set(
        [Keyword.objects.get_or_create(name=name.strip().lower())[0] for name in entry["keywords"]]
    )
    LabValue.objects.bulk_create(
        LabValue(case=case, order=i, **lab) for i, lab in enumerate(entry["lab_values"])
    )
    DifferentialDiagnosis.objects.bulk_create(
        DifferentialDiagnosis(case=case, order=i, **item)
        for i, item in enumerate(entry["differential"])
    )
    Reference.objects.bulk_create(
        Reference(case=case, order=i, **ref) for i, ref in enumerate(entry["references"])
    )
    Rating.objects.bulk_create(Rating(case=case, **rating) for rating in entry["ratings"])
    figures = {spec["label"]: _create_figure(case, spec) for spec in entry["figures"]}
    for spec in entry["questions"]:
        _create_question(case, spec, figures)
    from teachingfile.search.services import index_case

    index_case(case)
    return case


def _create_figure(case: Case, spec: dict[str, Any]) -> Figure:
    from teachingfile.illustrations import render_illustration

    series = None
    if spec.get("series"):
        series, _ = Series.objects.get_or_create(case=case, name=spec["series"])
    figure = Figure(
        case=case,
        order=spec["order"],
        label=spec["label"],
        stage=spec["stage"],
        series=series,
        position=spec["order"],
        alt_text=spec["alt_text"],
        neutral_caption=spec["neutral_caption"],
        caption=spec["caption"],
    )
    # Tests draw smaller illustrations: the same flows, a fraction of the pixels to encode.
    side = getattr(settings, "SEED_ILLUSTRATION_SIZE", 1024)
    clean = render_illustration(spec["illustration"], label=spec["label"], size=(side, side))
    services.figure_set_image(figure=figure, data=clean, filename="illustration.png")
    if spec.get("annotated"):
        marked = render_illustration(
            spec["illustration"], label=spec["label"], annotated=True, size=(side, side)
        )
        services.figure_set_image(
            figure=figure, data=marked, filename="illustration.png", annotated=True
        )
    if spec.get("annotations"):
        # Drawn (vector) annotations, shown over the figure after the reveal (issue 16).
        figure.annotations = annotations.clean_annotations(spec["annotations"])
        figure.save(update_fields=["annotations"])
    return figure


def _create_question(case: Case, spec: dict[str, Any], figures: dict[str, Figure]) -> Question:
    question = Question(
        case=case,
        order=spec["order"],
        kind=spec["kind"],
        prompt=spec["prompt"],
        explanation=spec["explanation"],
    )
    if spec.get("region"):
        # "Click on the finding" (issue 16): target regions on a figure named by its label.
        region = spec["region"]
        question.region_figure = figures[region["figure"]]
        question.regions = clean_regions(region["regions"])
        question.region_mode = region["mode"]
        question.region_margin = region.get("margin", 0.0)
    question.save()
    Choice.objects.bulk_create(
        Choice(question=question, order=i, **choice) for i, choice in enumerate(spec["choices"])
    )
    AcceptedAnswer.objects.bulk_create(
        AcceptedAnswer(question=question, **answer) for answer in spec["accepted_answers"]
    )
    return question


def _link_companions(entries: list[dict[str, Any]]) -> None:
    by_id = {
        c.public_id: c for c in Case.objects.filter(public_id__in=[e["public_id"] for e in entries])
    }
    for entry in entries:
        case = by_id.get(entry["public_id"])
        companions = [by_id[c] for c in entry["companions"] if c in by_id]
        if case and companions:
            case.companions.add(*companions)
