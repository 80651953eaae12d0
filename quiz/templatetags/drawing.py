"""Template tags for drawn annotations and image-region questions (issue 16)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from quiz import regions
from teachingfile import drawings

register = template.Library()


@register.simple_tag
def annotation_overlay(figure: Any) -> SafeString:
    """The figure's vector annotations as an SVG over its image (reveal pages only)."""
    return drawings.overlay_svg(figure.annotations, figure.width, figure.height)


@register.simple_tag
def region_overlay(
    question: Any,
    answer_text: str = "",
    label: str = "Target regions in green, your markers as red crosses",
) -> SafeString:
    """A region question's targets (green, margin dashed) and the learner's markers."""
    figure = question.region_figure
    return drawings.overlay_svg(
        regions.reveal_shapes(question.regions, regions.markers_or_empty(answer_text)),
        figure.width if figure else 0,
        figure.height if figure else 0,
        label=label,
    )


@register.filter
def markers_text(answer_text: str) -> str:
    """A stored marker answer in words: "2 markers: (0.41, 0.30), (0.52, 0.77)"."""
    markers = regions.markers_or_empty(answer_text)
    if not markers:
        return answer_text
    points = ", ".join(f"({x:.2f}, {y:.2f})" for x, y in markers)
    return f"{len(markers)} marker{'s' if len(markers) != 1 else ''} at {points}"
