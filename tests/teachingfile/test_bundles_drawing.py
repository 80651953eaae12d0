"""Bundles and backups carry drawn annotations and target regions exactly (issue 16)."""

from __future__ import annotations

import io
import shutil

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser

from teachingfile.backup import backup_site, restore_site
from teachingfile.bundles import case_document, export_bundle_bytes, import_bundle
from teachingfile.models import Case, Question
from tests.factories import CaseFactory, FigureFactory, QuestionFactory

pytestmark = pytest.mark.django_db

SHAPES = [
    {"type": "arrow", "points": [[0.12345, 0.2], [0.4, 0.5]], "color": "#ff3b30"},
    {"type": "freehand", "points": [[0.1, 0.1], [0.2, 0.15], [0.3, 0.1]], "color": "#ffd400"},
    {"type": "text", "points": [[0.5, 0.1]], "text": "Nodule", "color": "#ffffff"},
]
REGIONS = [
    {"shape": "ellipse", "cx": 0.5, "cy": 0.4, "rx": 0.1, "ry": 0.08},
    {"shape": "polygon", "points": [[0.1, 0.1], [0.3, 0.1], [0.2, 0.3]]},
]


def _drawn_case(owner: AbstractUser) -> Case:
    case = CaseFactory(public_id="tf-0042", owner=owner)
    FigureFactory(case=case, label="Fig. 1")
    second = FigureFactory(case=case, label="Fig. 2")
    second.annotations = SHAPES
    second.save()
    QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        region_figure=second,
        regions=REGIONS,
        region_margin=0.04,
        region_mode=Question.RegionMode.EVERY,
    )
    return case


def _drawing(case: Case) -> tuple:
    question = case.questions.get(kind=Question.Kind.REGION)
    figure = question.region_figure
    return (
        figure.label,
        figure.annotations,
        question.regions,
        question.region_margin,
        question.region_mode,
    )


def test_a_bundle_round_trips_regions_and_annotations_exactly(faculty: AbstractUser) -> None:
    case = _drawn_case(faculty)
    before = case_document(case)
    drawn = _drawing(case)
    bundle = export_bundle_bytes(Case.objects.filter(pk=case.pk))
    Case.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)

    import_bundle(bundle)

    restored = Case.objects.get(public_id="tf-0042")
    assert _drawing(restored) == drawn == ("Fig. 2", SHAPES, REGIONS, 0.04, "every")
    assert case_document(restored) == before


def test_a_region_figure_the_bundle_cannot_place_is_left_empty(faculty: AbstractUser) -> None:
    import json
    import zipfile

    case = _drawn_case(faculty)
    bundle = export_bundle_bytes(Case.objects.filter(pk=case.pk))
    Case.objects.all().delete()
    source = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith(".json"):
                document = json.loads(data)
                document["cases"][0]["questions"][0]["region_figure"] = 7
                data = json.dumps(document).encode()
            target.writestr(item, data)
    import_bundle(out.getvalue())
    question = Question.objects.get(case__public_id="tf-0042")
    assert question.region_figure is None and question.regions == REGIONS


# A restore flushes the database (TRUNCATE on PostgreSQL): outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_site_backup_round_trips_them_too(faculty: AbstractUser) -> None:
    case = _drawn_case(faculty)
    drawn = _drawing(case)
    buffer = io.BytesIO()
    backup_site(buffer)
    Case.objects.all().delete()
    restore_site(buffer.getvalue())
    assert _drawing(Case.objects.get(public_id="tf-0042")) == drawn
