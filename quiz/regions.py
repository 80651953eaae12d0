"""Image-region questions ("click on the finding"): markers, target regions and their score.

Everything here is in normalised image coordinates: x from 0 (left edge) to 1 (right
edge), y from 0 (top) to 1 (bottom), whatever the image's pixel size. A learner's answer
is posted as `x,y;x,y` (docs/drawing.md). Pure functions, so every rule is unit-tested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from quiz.scoring import AUTO, Outcome

# The shapes of target regions are the library's (the editor writes them); scoring is ours.
from teachingfile.drawings import MAX_POLYGON_POINTS as MAX_POLYGON_POINTS
from teachingfile.drawings import MAX_REGIONS as MAX_REGIONS
from teachingfile.drawings import clean_regions as clean_regions
from teachingfile.drawings import unit_value as _unit

# A marker inside a region's tolerance margin (but not inside the region) earns this.
MARGIN_CREDIT = 0.5
# More markers than this is not an answer but a carpet of clicks.
MAX_MARKERS = 20

Point = tuple[float, float]

# What a posted marker list may contain at all; anything else is text, not markers.
_MARKER_CHARACTERS = re.compile(r"^[0-9eE+\-.,;\s]*$")


class MarkersInvalid(ValueError):
    """A posted marker list that is malformed or leaves the image."""


def looks_like_markers(text: str) -> bool:
    return bool(text.strip()) and bool(_MARKER_CHARACTERS.match(text))


def parse_markers(text: str) -> list[Point]:
    """`"0.5,0.25;0.1,0.9"` -> [(0.5, 0.25), (0.1, 0.9)]; MarkersInvalid on anything else."""
    pairs = [part for part in text.strip().split(";") if part.strip()]
    if not pairs:
        raise MarkersInvalid("Place a marker on the image before submitting.")
    if len(pairs) > MAX_MARKERS:
        raise MarkersInvalid(f"At most {MAX_MARKERS} markers may be placed.")
    markers = []
    for pair in pairs:
        parts = pair.split(",")
        try:
            if len(parts) != 2:
                raise ValueError(pair)
            markers.append((_unit(parts[0]), _unit(parts[1])))
        except ValueError as error:
            raise MarkersInvalid(
                f"The marker {pair.strip()!r} is not a point on the image "
                "(x,y with both between 0 and 1)."
            ) from error
    return markers


def format_markers(markers: Sequence[Point]) -> str:
    return ";".join(f"{x:.4f},{y:.4f}" for x, y in markers)


def markers_or_empty(text: str) -> list[Point]:
    """A stored answer's markers (an answer typed in the text fallback has none)."""
    try:
        return parse_markers(text) if looks_like_markers(text) else []
    except MarkersInvalid:
        return []


# ---------------------------------------------------------------- regions


def _in_ellipse(point: Point, region: dict[str, Any], margin: float) -> bool:
    rx, ry = float(region["rx"]) + margin, float(region["ry"]) + margin
    dx, dy = point[0] - float(region["cx"]), point[1] - float(region["cy"])
    return (dx / rx) ** 2 + (dy / ry) ** 2 <= 1.0


def _in_polygon(point: Point, points: Sequence[Sequence[float]]) -> bool:
    # Even-odd ray casting.
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _segment_distance(point: Point, a: Sequence[float], b: Sequence[float]) -> float:
    px, py = point
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def credit(point: Point, region: dict[str, Any], margin: float) -> float:
    """1 inside the region, MARGIN_CREDIT within `margin` of it, else 0."""
    if region["shape"] == "ellipse":
        if _in_ellipse(point, region, 0.0):
            return 1.0
        return MARGIN_CREDIT if margin > 0 and _in_ellipse(point, region, margin) else 0.0
    points = region["points"]
    if _in_polygon(point, points):
        return 1.0
    if margin > 0:
        edges = zip(points, [*points[1:], points[0]], strict=True)
        if min(_segment_distance(point, a, b) for a, b in edges) <= margin:
            return MARGIN_CREDIT
    return 0.0


def score_region(
    regions: Sequence[dict[str, Any]], markers: Sequence[Point], *, margin: float, mode: str
) -> Outcome:
    """Score markers against target regions.

    "any": the best marker counts (1 inside a region, MARGIN_CREDIT in its margin, else 0).
    "every": each region earns its best marker's credit; a marker outside every region
    and margin is a false mark; max(0, (credits - false marks) / regions).
    """
    if not markers:
        return Outcome(0.0, AUTO, "No marker placed.")
    if not regions:
        return Outcome(0.0, AUTO, "This question has no target region.")
    table = [[credit(m, r, margin) for r in regions] for m in markers]
    if mode == "every":
        per_region = [max(row[i] for row in table) for i in range(len(regions))]
        found = sum(per_region)
        false = sum(1 for row in table if max(row) == 0)
        score = max(0.0, (found - false) / len(regions))
        return Outcome(
            score,
            AUTO,
            f"{found:g} of {len(regions)} regions found, {false} false mark(s): "
            f"max(0, ({found:g} - {false}) / {len(regions)}) = {score:.2f}.",
        )
    best = max(max(row) for row in table)
    if best >= 1:
        judgement = "A marker is inside the target region."
    elif best > 0:
        judgement = f"Closest marker is within the tolerance margin (partial credit {best:g})."
    else:
        judgement = "No marker is inside a target region or its margin."
    return Outcome(best, AUTO, judgement)


REGION_COLOUR = "#34c759"
MARKER_COLOUR = "#ff3b30"


def reveal_shapes(
    targets: Sequence[dict[str, Any]], markers: Sequence[Point]
) -> list[dict[str, Any]]:
    """Targets and markers as annotation shapes (teachingfile.drawings draws them)."""
    shapes: list[dict[str, Any]] = []
    for region in targets:
        if region.get("shape") == "ellipse":
            shapes.append(
                {
                    "type": "ellipse",
                    "points": [[region["cx"], region["cy"]], [region["rx"], region["ry"]]],
                    "color": REGION_COLOUR,
                }
            )
        elif region.get("shape") == "polygon":
            points = [list(p) for p in region["points"]]
            shapes.append(
                {"type": "freehand", "points": [*points, points[0]], "color": REGION_COLOUR}
            )
    d = 0.015
    for x, y in markers:
        for dx in (d, -d):
            shapes.append(
                {
                    "type": "line",
                    "points": [
                        [max(0.0, x - dx), max(0.0, y - d)],
                        [min(1.0, x + dx), min(1.0, y + d)],
                    ],
                    "color": MARKER_COLOUR,
                }
            )
    return shapes
