"""CSV downloads: one writer for every table, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import HttpResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else ""
        # Negative numbers are numbers, not formulas: only text gets the guard.
        return text
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark makes spreadsheet programs read the file as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response
