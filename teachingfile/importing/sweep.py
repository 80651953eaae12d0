"""Nothing lost: every line of the source is in a field, a list or the unplaced text.

The parser places what it recognises; this last pass compares the words of each source
line with the words of everything placed, and keeps any line with a word found nowhere
as unplaced text for the author. Heading and label words ("Findings", "Dx", "nl") are
structure, not content, and need no home.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from teachingfile.importing.parsed import ParsedCase
from teachingfile.importing.patterns import HEADINGS
from teachingfile.models import Sex

_WORD = re.compile(r"[^\W_]+")
# Words that only label things: section names, and the labels the parser turns into
# structure (lab reference ranges, figure and answer numbers, patient data, ratings).
LABEL_WORDS = frozenset(word for heading in HEADINGS for word in _WORD.findall(heading.lower())) | {
    "nl",
    "normal",
    "ref",
    "fig",
    "figure",
    "answer",
    "q",
    "age",
    "gender",
    "sex",
    "year",
    "years",
    "rating",
    "pubmed",
}


def words(text: str) -> set[str]:
    """Lower-case words and numbers (numbers without leading zeros, so 04 is 4)."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if len(word) == 1 and word.isalpha():
            continue  # choice letters and initials: "B." alone says nothing
        out.add(str(int(word)) if word.isdigit() and len(word) < 10 else word)
    return out


def date_forms(value: dt.date) -> str:
    """A date as sources write it: 4/26/2004, 26.4.04, 20040426."""
    return f"{value.month} {value.day} {value.year} {value.year % 100} {value:%Y%m%d}"


def placed_text(parsed: ParsedCase) -> Iterable[str]:
    """Every piece of text the draft will hold."""
    for name, value in parsed.fields.items():
        if name == "patient_sex" and isinstance(value, str) and value in Sex.values:
            yield Sex(value).label
        elif value is not None:
            yield str(value)
            if isinstance(value, dt.date):
                yield date_forms(value)
    yield from parsed.keywords
    for lab in parsed.lab_values:
        yield f"{lab.name} {lab.value} {lab.unit} {lab.reference_range}"
    for item in parsed.differentials:
        yield f"{item.diagnosis} {item.note}"
    for reference in parsed.references:
        yield f"{reference.citation} {reference.doi} {reference.pmid} {reference.url}"
    for figure in parsed.figures:
        yield f"{figure.label} {figure.caption}"
    for question in parsed.questions:
        yield f"Q{question.number} {question.number} {question.prompt} {question.explanation}"
        yield " ".join(question.accepted)
        for choice in question.choices:
            yield f"{choice.text} {choice.rationale}"
    if parsed.rating:
        yield "#D{} #Q{}".format(*parsed.rating)
    yield from parsed.unplaced
    yield from parsed.ignored


def keep_every_line(source: str, parsed: ParsedCase) -> None:
    """Add to the unplaced text each source line with a word that landed nowhere."""
    kept = set().union(*(words(text) for text in placed_text(parsed)))
    for line in source.split("\n"):
        missing = words(line) - kept - LABEL_WORDS
        if missing:
            parsed.unplaced.append(f"not placed: {line.strip()}")
            kept |= words(line)
