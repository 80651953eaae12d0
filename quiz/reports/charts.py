"""Geometry for server-rendered SVG charts: templates cannot do arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _svg(number: float) -> str:
    """An SVG coordinate: plain dot decimals whatever the locale, one decimal at most."""
    return f"{round(number, 1):g}"


def bar_chart(
    bars: Sequence[dict[str, Any]],
    value_key: str,
    max_value: float,
    width: int = 560,
    percent: bool | None = None,
) -> dict[str, Any]:
    """Geometry for a server-rendered SVG bar chart (templates cannot do arithmetic)."""
    bar_height, gap = 22, 6
    # Room for the longest label at about 7 px a character (the chart font is 12 px), so
    # "Metabolic, endocrine, toxic" is not clipped; capped so the bars keep most of the width.
    longest = max((len(str(bar.get("label", ""))) for bar in bars), default=0)
    label_width = max(90, min(220, 7 * longest + 16))
    plot = width - label_width - 60
    percent = max_value == 1.0 if percent is None else percent
    drawn = []
    for i, bar in enumerate(bars):
        raw = bar.get(value_key)
        value = raw or 0
        display = "–" if raw is None else (f"{round(raw * 100)}%" if percent else f"{raw:g}")
        length = 0 if max_value <= 0 else round(plot * min(value, max_value) / max_value, 1)
        y = i * (bar_height + gap)
        drawn.append(
            {
                **bar,
                "value": raw,
                "display": display,
                "y": _svg(y),
                "text_y": _svg(y + bar_height * 0.7),
                "length": _svg(length) if length else "",
                "value_x": _svg(label_width + length + 6),
            }
        )
    return {
        "bars": drawn,
        "width": width,
        "height": max(len(bars) * (bar_height + gap), bar_height),
        "label_width": label_width,
        "label_x": label_width - 8,
        "bar_height": bar_height,
        "plot": plot,
    }


def line_chart(
    points: Sequence[dict[str, Any]], width: int = 560, height: int = 180
) -> dict[str, Any]:
    """A 0..1 score line over time, as SVG coordinates."""
    left, right, top, bottom = 40, 10, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(points)
    drawn = []
    for i, point in enumerate(points):
        x = left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)
        y = top + plot_h * (1 - (point["average"] or 0))
        drawn.append(
            {**point, "x": _svg(x), "y": _svg(y), "average_label": percent_label(point["average"])}
        )
    gridlines = [
        {"y": _svg(top + plot_h * (1 - level)), "label": f"{round(level * 100)}%"}
        for level in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "points": drawn,
        "path": " ".join(f"{p['x']},{p['y']}" for p in drawn),
        "width": width,
        "height": height,
        "left": left,
        "axis_x": left - 6,
        "right": width - right,
        "gridlines": gridlines,
    }


def percent_label(value: float | None) -> str:
    """A 0..1 share as a whole percentage; a dash when undefined."""
    return "–" if value is None else f"{round(value * 100)}%"
