"""Vector annotations drawn on a figure: validation and the SVG drawn after the reveal.

A figure's `annotations` is a list of shapes in normalised image coordinates (0..1 of
the width and height, origin top left), never burned into pixels:

    {"type": "arrow" | "line", "points": [[x1, y1], [x2, y2]], "color": "#rrggbb"}
    {"type": "ellipse", "points": [[cx, cy], [rx, ry]], "color": ...}
    {"type": "freehand", "points": [[x, y], ...], "color": ...}
    {"type": "text", "points": [[x, y]], "text": "...", "color": ...}

They reach a page only through `revealed_annotations` (after the reveal); see
docs/drawing.md.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from teachingfile import services
from teachingfile.models import Figure

SHAPE_TYPES = ("arrow", "line", "ellipse", "freehand", "text")
COLOURS = {
    "#ffd400": "Yellow",
    "#ff3b30": "Red",
    "#34c759": "Green",
    "#0a84ff": "Blue",
    "#ffffff": "White",
}
MAX_SHAPES = 100
MAX_POINTS = 500
MAX_TEXT = 120
_HEX = re.compile(r"^#[0-9a-f]{6}$")


def _unit(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValueError("outside 0..1")
    return round(number, 5)


def clean_annotations(raw: Any) -> list[dict[str, Any]]:
    """The shapes as stored, or ValidationError naming the first bad one."""
    if not isinstance(raw, list):
        raise ValidationError("Annotations must be a list of shapes.")
    if len(raw) > MAX_SHAPES:
        raise ValidationError(f"At most {MAX_SHAPES} shapes per figure.")
    shapes = []
    for n, item in enumerate(raw, 1):
        try:
            kind = item["type"]
            if kind not in SHAPE_TYPES:
                raise ValueError(f"unknown type {kind!r}")
            points = [[_unit(x), _unit(y)] for x, y in item["points"]]
            needed = {"text": (1, 1), "freehand": (2, MAX_POINTS)}.get(kind, (2, 2))
            if not needed[0] <= len(points) <= needed[1]:
                raise ValueError("wrong number of points")
            colour = str(item.get("color", "#ffd400")).lower()
            if not _HEX.match(colour):
                raise ValueError("colour must be #rrggbb")
            shape: dict[str, Any] = {"type": kind, "points": points, "color": colour}
            if kind == "text":
                text = str(item.get("text", "")).strip()[:MAX_TEXT]
                if not text:
                    raise ValueError("a label needs text")
                shape["text"] = text
            shapes.append(shape)
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(f"Shape {n} is not valid ({error}).") from None
    return shapes


def parse_annotations(text: str) -> list[dict[str, Any]]:
    try:
        raw = json.loads(text or "[]")
    except json.JSONDecodeError as error:
        raise ValidationError("The drawing could not be read (not JSON).") from error
    return clean_annotations(raw)


@transaction.atomic
def figure_annotations_save(*, figure: Figure, annotations: list[dict[str, Any]]) -> Figure:
    """Store the shapes and bump the case's version (the reveal cache follows it)."""
    figure.annotations = clean_annotations(annotations)
    figure.save(update_fields=["annotations"])
    services.case_touch(figure.case)
    return figure


# ---------------------------------------------------------------- drawing them (after the reveal)


def _arrow_head(x1: float, y1: float, x2: float, y2: float, size: float) -> str:
    angle = math.atan2(y2 - y1, x2 - x1)
    left = (x2 - size * math.cos(angle - 0.45), y2 - size * math.sin(angle - 0.45))
    right = (x2 - size * math.cos(angle + 0.45), y2 - size * math.sin(angle + 0.45))
    return f"{x2:.1f},{y2:.1f} {left[0]:.1f},{left[1]:.1f} {right[0]:.1f},{right[1]:.1f}"


def _n(value: float) -> str:
    return f"{value:.1f}"


def shape_svg(shape: dict[str, Any], width: float, height: float) -> SafeString:
    """One annotation shape as SVG elements in pixel units of a `width` x `height` image."""
    colour = escape(shape.get("color", "#ffd400"))
    stroke = max(width, height) / 250
    pts = [(x * width, y * height) for x, y in shape["points"]]
    common = f'stroke="{colour}" stroke-width="{_n(stroke)}" fill="none" stroke-linecap="round"'
    kind = shape["type"]
    if kind in ("arrow", "line"):
        (x1, y1), (x2, y2) = pts
        line = f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" {common}/>'
        if kind == "arrow":
            head = _arrow_head(x1, y1, x2, y2, stroke * 6)
            line += f'<polygon points="{head}" fill="{colour}"/>'
        return mark_safe(line)  # numbers and a validated colour only
    if kind == "ellipse":
        (cx, cy), (rx, ry) = pts
        return mark_safe(
            f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(rx)}" ry="{_n(ry)}" {common}/>'
        )
    if kind == "freehand":
        joined = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        return mark_safe(f'<polyline points="{joined}" {common} stroke-linejoin="round"/>')
    (x, y) = pts[0]
    return mark_safe(
        f'<text x="{_n(x)}" y="{_n(y)}" fill="{colour}" stroke="#000" '
        f'stroke-width="{_n(stroke / 2)}" paint-order="stroke" '
        f'font-size="{max(width, height) / 28:.0f}" font-family="sans-serif">'
        f"{escape(shape.get('text', ''))}</text>"
    )


def overlay_svg(
    shapes: list[dict[str, Any]], width: int, height: int, *, label: str = ""
) -> SafeString:
    """An SVG laid over an image of `width` x `height`, drawing the shapes."""
    w, h = (width or 1000), (height or 1000)
    body = SafeString("".join(shape_svg(shape, w, h) for shape in shapes))
    role = format_html(' role="img" aria-label="{}"', label) if label else ' aria-hidden="true"'
    return format_html(
        '<svg class="overlay" viewBox="0 0 {} {}" preserveAspectRatio="none"{}>{}</svg>',
        w,
        h,
        mark_safe(role),  # built by format_html above, or a constant
        body,
    )


# ---------------------------------------------------------------- target regions
# (click-on-the-finding questions; quiz.regions scores markers against them)

MAX_REGIONS = 20
MAX_POLYGON_POINTS = 200


def unit_value(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"{value!r} is outside 0..1")
    return number


def clean_regions(raw: Any) -> list[dict[str, Any]]:
    """Validate target regions as the editor posts them; ValueError says what is wrong.

    An ellipse is `{"shape": "ellipse", "cx", "cy", "rx", "ry"}`, a polygon
    `{"shape": "polygon", "points": [[x, y], ...]}` (at least three points); all 0..1.
    """
    if not isinstance(raw, list):
        raise ValueError("Regions must be a list.")
    if len(raw) > MAX_REGIONS:
        raise ValueError(f"At most {MAX_REGIONS} regions.")
    regions: list[dict[str, Any]] = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ValueError(f"Region {n} is not a shape.")
        try:
            if item.get("shape") == "ellipse":
                rx, ry = unit_value(item["rx"]), unit_value(item["ry"])
                if rx <= 0 or ry <= 0:
                    raise ValueError("empty ellipse")
                regions.append(
                    {
                        "shape": "ellipse",
                        "cx": unit_value(item["cx"]),
                        "cy": unit_value(item["cy"]),
                        "rx": rx,
                        "ry": ry,
                    }
                )
            elif item.get("shape") == "polygon":
                points = item["points"]
                if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
                    raise ValueError("a polygon needs 3 to 200 points")
                regions.append(
                    {
                        "shape": "polygon",
                        "points": [[unit_value(x), unit_value(y)] for x, y in points],
                    }
                )
            else:
                raise ValueError("unknown shape")
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"Region {n} is not a valid ellipse or polygon ({error}).") from None
    return regions
