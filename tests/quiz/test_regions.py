"""Image-region scoring as pure functions (quiz/regions.py; docs/drawing.md in words)."""

from __future__ import annotations

import pytest

from quiz import regions

ELLIPSE = {"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.2}
SQUARE = {"shape": "polygon", "points": [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3], [0.1, 0.3]]}


def _any(markers: str, margin: float = 0.05, targets: list | None = None) -> float | None:
    return regions.score_region(
        targets or [ELLIPSE], regions.parse_markers(markers), margin=margin, mode="any"
    ).score


def test_a_marker_inside_the_ellipse_scores_1() -> None:
    assert _any("0.55,0.62") == 1.0


def test_a_marker_in_the_margin_scores_partial_credit() -> None:
    # 0.62 is outside rx 0.1 but inside rx + margin 0.15.
    assert _any("0.62,0.5") == regions.MARGIN_CREDIT


def test_a_marker_outside_region_and_margin_scores_0() -> None:
    assert _any("0.9,0.9") == 0.0
    assert _any("0.62,0.5", margin=0.0) == 0.0


def test_polygon_inside_margin_and_outside() -> None:
    assert _any("0.2,0.2", targets=[SQUARE]) == 1.0
    assert _any("0.33,0.2", targets=[SQUARE]) == regions.MARGIN_CREDIT
    assert _any("0.5,0.2", targets=[SQUARE]) == 0.0


def test_any_mode_counts_the_best_marker() -> None:
    assert _any("0.9,0.9;0.5,0.5") == 1.0


def test_every_mode_is_found_regions_minus_false_marks_never_below_zero() -> None:
    targets = [ELLIPSE, SQUARE]

    def every(markers: str) -> float | None:
        return regions.score_region(
            targets, regions.parse_markers(markers), margin=0.0, mode="every"
        ).score

    assert every("0.5,0.5;0.2,0.2") == 1.0
    assert every("0.5,0.5") == 0.5
    # One found, one false mark: (1 - 1) / 2.
    assert every("0.5,0.5;0.9,0.9") == 0.0
    assert every("0.5,0.5;0.2,0.2;0.9,0.9") == 0.5
    assert every("0.9,0.9;0.95,0.95;0.99,0.01") == 0.0


@pytest.mark.parametrize(
    "posted",
    ["", "0.5", "0.5,0.5,0.5", "1.2,0.5", "0.5,-0.1", "nan,0.5", "inf,0.2", "a,b", ";;", "0.5;0.5"],
)
def test_malformed_or_out_of_range_markers_are_refused(posted: str) -> None:
    with pytest.raises(regions.MarkersInvalid):
        regions.parse_markers(posted)


def test_markers_parse_and_format_round_trip() -> None:
    markers = regions.parse_markers(" 0.25,0.5 ; 1,0 ")
    assert markers == [(0.25, 0.5), (1.0, 0.0)]
    assert regions.format_markers(markers) == "0.2500,0.5000;1.0000,0.0000"


def test_too_many_markers_are_refused() -> None:
    with pytest.raises(regions.MarkersInvalid):
        regions.parse_markers(";".join(["0.5,0.5"] * (regions.MAX_MARKERS + 1)))


def test_regions_are_validated() -> None:
    assert regions.clean_regions([ELLIPSE, SQUARE]) == [ELLIPSE, SQUARE]
    for bad in (
        [{"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0, "ry": 0.1}],
        [{"shape": "polygon", "points": [[0, 0], [1, 1]]}],
        [{"shape": "circle"}],
        [{"shape": "ellipse", "cx": 2, "cy": 0.5, "rx": 0.1, "ry": 0.1}],
        "not a list",
    ):
        with pytest.raises(ValueError):
            regions.clean_regions(bad)
