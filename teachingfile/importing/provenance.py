"""Provenance wherever it appears: authors, affiliations, citations, DOI, licence, dates."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from teachingfile.importing.parsed import ParsedCase, State
from teachingfile.importing.patterns import (
    AFFILIATION,
    DATE_MDY,
    DEGREES,
    DOI,
    INITIAL_NAME,
    JOURNAL_CITATION,
    RATING,
    plain_text,
    shorten,
)


def set_authors(value: str, parsed: ParsedCase) -> None:
    rating = RATING.search(value)
    if rating:
        parsed.rating = (int(rating.group(1)), int(rating.group(2)))
        value = value[: value.find("Rating")] if "Rating" in value else value
    date = DATE_MDY.search(value)
    if date:
        month, day, year = (int(g) for g in date.groups())
        year = year + 2000 if year < 50 else year + 1900 if year < 100 else year
        with contextlib.suppress(ValueError):  # an impossible date is simply left out
            parsed.fields.setdefault("source_date", dt.date(year, month, day))
        value = value[: date.start()]
    value = re.sub(r"\s+\d+\s+(?=[A-Z])", " ", value)  # footnote numbers between names
    value = " ".join(plain_text(value).split()).strip(" ,.")
    if value and not parsed.text("authors"):
        parsed.fields["authors"] = value[:500]


def provenance(paragraph: str, lines: list[str], state: State, parsed: ParsedCase) -> bool:
    """Authors, affiliations, citations, DOI and licence, wherever they appear."""
    plain = plain_text(" ".join(lines))
    lowered = plain.lower()
    if state.bucket == "references":
        return False
    if re.search(r"companion case", lowered) and len(plain) < 300:
        parsed.fields["companion_note"] = shorten(plain, 300)
        return True
    if lowered.startswith(("copyright", "©")) or (
        len(plain) < 600 and ("licen" in lowered and ("©" in plain or "open access" in lowered))
    ):
        parsed.fields.setdefault("licence", shorten(plain, 300))
        doi = DOI.search(plain)
        if doi:
            parsed.fields.setdefault("source_doi", doi.group(1))
        return True
    if len(lines) == 1 and len(plain) < 200:
        doi = DOI.search(plain)
        if doi and (plain.startswith("http") or lowered.startswith("doi")):
            parsed.fields.setdefault("source_doi", doi.group(1))
            return True
        if re.match(r"^\d{4}-\d{3}[\dX]/", plain):  # an ISSN line
            parsed.ignored.append(shorten(plain, 80))
            return True
    if len(plain) < 300 and all(JOURNAL_CITATION.search(line) for line in lines):
        append_field(parsed, "source_citation", "\n".join(plain_text(line) for line in lines))
        return True
    names = [plain_text(line).strip(" ,") for line in lines]
    if len(plain) < 400 and all(INITIAL_NAME.match(plain_text(line)) for line in lines):
        if not parsed.text("authors"):
            parsed.fields["authors"] = ", ".join(names)
        return True
    has_degrees = len(plain) < 300 and DEGREES.search(plain) and not AFFILIATION.search(plain)
    if has_degrees and (not state.seen_section or not parsed.text("authors")):
        set_authors(plain, parsed)
        return True
    affiliation = "\n".join(plain_text(line).lstrip("-* ") for line in lines)
    if len(plain) < 400 and AFFILIATION.search(plain) and state.bucket in (None, "credits"):
        append_field(parsed, "credits", affiliation)
        return True
    if state.bucket == "credits":
        append_field(parsed, "credits", plain)
        return True
    if (
        len(plain) < 300
        and re.search(r"\b(are|is) (in|with|from) the department\b", lowered)
        and state.bucket != "discussion"
    ):
        append_field(parsed, "credits", plain)
        return True
    return False


def append_field(parsed: ParsedCase, name: str, value: str) -> None:
    current = parsed.text(name)
    if value and value not in current:
        parsed.fields[name] = f"{current}\n{value}".strip()
