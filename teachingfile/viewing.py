"""What a learner may see of a case's figures, before and after the reveal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from teachingfile.caching import markdown_html
from teachingfile.models import Figure


@dataclass(frozen=True)
class Preset:
    name: str
    src: str


@dataclass(frozen=True)
class FigureView:
    """One figure as the viewer include renders it; built only from what may be shown."""

    pk: int
    label: str
    alt: str
    caption_html: SafeString
    src: str
    thumb_src: str
    full_src: str
    annotated_src: str | None
    width: int
    height: int
    series: str
    presets: list[Preset] = field(default_factory=list)
    # Stored-depth source for the live viewer (DICOM figures); "" means the viewer works on
    # the 8-bit display image.
    viewer_src: str = ""
    # Vector annotations (issue 16), normalised shapes; empty before the reveal.
    annotations: list[dict[str, Any]] = field(default_factory=list)


def _url(name: str) -> str:
    return default_storage.url(name) if name else ""


def figure_views(figures: Iterable[Figure], *, revealed: bool) -> list[FigureView]:
    """Build viewer entries; before the reveal, drop reveal-stage figures and annotations.

    The figures must come with their series selected (select_related("series")).
    """
    views = []
    for figure in figures:
        if not revealed and not figure.shown_before_reveal:
            continue
        if revealed:
            caption = markdown_html(figure.caption or figure.neutral_caption)
        else:
            caption = mark_safe(escape(figure.neutral_caption))
        views.append(
            FigureView(
                pk=figure.pk,
                label=figure.label,
                alt=figure.alt_text,
                caption_html=caption,
                src=_url(figure.display.name or figure.image.name),
                thumb_src=_url(figure.thumbnail.name or figure.image.name),
                full_src=_url(figure.image.name),
                annotated_src=(
                    _url(figure.annotated_display.name or figure.annotated_image.name)
                    if revealed and (figure.annotated_display or figure.annotated_image)
                    else None
                ),
                width=figure.width,
                height=figure.height,
                series=figure.series.name if figure.series_id else "",
                # A figure with a viewer source is windowed live; any preset files made
                # before the viewer did that are no longer offered.
                presets=[]
                if figure.viewer_source
                else [Preset(name, _url(path)) for name, path in figure.presets.items()],
                viewer_src=_url(figure.viewer_source.name),
                annotations=list(figure.annotations or []) if revealed else [],
            )
        )
    return views
