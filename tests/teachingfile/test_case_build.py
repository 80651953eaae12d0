"""case_build: the one way a whole case is written (importers, seed cases)."""

from __future__ import annotations

import pytest

from teachingfile.imaging import ImageRejected
from teachingfile.models import Case, Figure
from teachingfile.services import CaseSpec, FigureSpec, case_build
from tests.factories import png_bytes

pytestmark = pytest.mark.django_db

FIELDS: dict[str, object] = {"unknown_title": "Woman, 40", "presentation": "Pain."}


def test_it_applies_the_upload_limits_of_the_settings(settings: pytest.FixtureRequest) -> None:
    settings.IMAGE_MAX_BYTES = 64  # type: ignore[attr-defined]
    spec = CaseSpec(fields=FIELDS, figures=[FigureSpec(label="Fig. 1", image=png_bytes())])
    with pytest.raises(ImageRejected, match="IMAGE_MAX_BYTES"):
        case_build(spec=spec, owner=None, note="test", exclude=["diagnosis", "known_title"])
    assert not Case.objects.exists()


def test_figures_naming_a_series_stack_in_figure_order() -> None:
    spec = CaseSpec(
        fields=FIELDS,
        figures=[
            FigureSpec(label="A", image=png_bytes(10), image_name="a.png", series="Axial CT"),
            FigureSpec(label="B", image=png_bytes(20), image_name="b.png", series="Axial CT"),
            FigureSpec(label="C", image=png_bytes(30), image_name="c.png"),
        ],
    )
    case = case_build(spec=spec, owner=None, note="test", exclude=["diagnosis", "known_title"])
    stacked = Figure.objects.filter(case=case, series__name="Axial CT").order_by("position")
    assert [f.label for f in stacked] == ["A", "B"]
    assert Figure.objects.get(case=case, label="C").series is None
