"""Spoiler guardrails: does text shown before the reveal give the diagnosis away?

Words of the pre-reveal fields are compared with the words of the diagnosis, the known
title, the differential and the keywords, after the normalising that free-text scoring
uses (teachingfile.text.normalise), English stemming (Snowball), and a typo-tolerant ratio from
the same rapidfuzz library. A match is a warning for the author, never a silent rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any

import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from rapidfuzz import fuzz

from teachingfile.text import normalise

# Words that name no diagnosis: a match on them would only be noise.
_COMMON_WORDS = """
a an and are as at be by for from in into is it of on or the to with without
left right bilateral acute chronic disease disorder syndrome type patient year old
woman man female male child boy girl history pain mass lesion finding findings normal
abnormal case image images view views primary secondary multiple single diffuse focal
"""
_COMMON = frozenset(_COMMON_WORDS.split())
MIN_WORD = 4  # shorter words ("CT", "of") say too little to be a spoiler
FUZZY_THRESHOLD = 88  # rapidfuzz ratio between stems: catches "calciphilaxis"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("english")


def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def _words(text: str) -> list[str]:
    # Numbers ("1124", "2019") are ages, dates and ids, never a diagnosis.
    return [
        w
        for w in normalise(text, sort_words=False).split()
        if len(w) >= MIN_WORD and not w.isdigit()
    ]


@dataclass(frozen=True)
class Term:
    """One revealed word to look for, with the phrase it came from."""

    stem: str
    source: str


@dataclass
class Warning:
    field: str
    text: str
    words: set[str] = dataclass_field(default_factory=set)
    sources: set[str] = dataclass_field(default_factory=set)

    @property
    def highlighted(self) -> SafeString:
        """The field's text, escaped, with the matching words in <mark>."""
        if not self.words:
            return escape(self.text)
        pattern = re.compile(
            r"\b(" + "|".join(re.escape(w) for w in sorted(self.words, key=len)[::-1]) + r")\b",
            re.I,
        )
        parts = pattern.split(self.text)
        html = "".join(
            f"<mark>{escape(part)}</mark>" if index % 2 else str(escape(part))
            for index, part in enumerate(parts)
        )
        return mark_safe(html)


def revealed_terms(phrases: Iterable[str]) -> list[Term]:
    terms: dict[str, Term] = {}
    for phrase in phrases:
        for word in _words(phrase):
            if word in _COMMON:
                continue
            stem = _stem(word)
            terms.setdefault(stem, Term(stem=stem, source=phrase.strip()))
    return list(terms.values())


def _match(word: str, terms: list[Term]) -> Term | None:
    if word in _COMMON:
        return None
    stem = _stem(word)
    for term in terms:
        if stem == term.stem:
            return term
        # "gouty" against "gout", "sarcoid" against "sarcoidosis": one stem extends the
        # other by a short suffix (longer ones only from a stem long enough to be specific).
        short, long = sorted((stem, term.stem), key=len)
        extra = len(long) - len(short)
        if len(short) >= MIN_WORD and long.startswith(short) and extra <= 2 + 2 * (len(short) >= 6):
            return term
        if min(len(stem), len(term.stem)) >= 5 and fuzz.ratio(stem, term.stem) >= FUZZY_THRESHOLD:
            return term
    return None


def check_text(shown: Iterable[tuple[str, str]], revealed: Iterable[str]) -> list[Warning]:
    """Warnings for each (field label, text) shown before the reveal that names a term."""
    terms = revealed_terms(revealed)
    found = []
    for label, text in shown:
        if not text or not terms:
            continue
        warning = Warning(field=label, text=text)
        # Original spelling of each word, so the highlight finds it in the text as written.
        for raw in re.findall(r"[^\W_]+", text):
            if len(raw) < MIN_WORD or raw.isdigit():
                continue
            term = _match(normalise(raw, sort_words=False), terms)
            if term is not None:
                warning.words.add(raw)
                warning.sources.add(term.source)
        if warning.words:
            found.append(warning)
    return found


def case_revealed_phrases(case: Any) -> list[str]:
    phrases = [case.diagnosis, case.known_title]
    if case.pk:
        phrases += list(case.differentials.values_list("diagnosis", flat=True))
        phrases += list(case.keywords.values_list("name", flat=True))
    return [p for p in phrases if p]


def case_shown_fields(case: Any, *, file_names: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every text of the case a resident sees before answering, labelled for the author."""
    shown = [("Unknown title", case.unknown_title), ("Presentation", case.presentation)]
    if case.pk:
        for figure in case.figures.all():
            name = figure.label or f"figure {figure.order}"
            shown.append((f"{name}: alt text", figure.alt_text))
            shown.append((f"{name}: label", figure.label))
            if figure.stage == figure.Stage.QUESTION:
                shown.append((f"{name}: neutral caption", figure.neutral_caption))
        for lab in case.lab_values.filter(shown_before_reveal=True):
            shown.append(("Lab value name", lab.name))
    shown += [("Uploaded file name", name) for name in file_names]
    return shown


def case_spoilers(case: Any, *, file_names: Iterable[str] = ()) -> list[Warning]:
    """The pre-reveal fields of a saved case that name its diagnosis or its differential."""
    return check_text(case_shown_fields(case, file_names=file_names), case_revealed_phrases(case))


def quiz_spoilers(title: str, description: str, cases: Iterable[Any]) -> list[Warning]:
    """A quiz's title and description checked against the diagnoses of its cases."""
    phrases: list[str] = []
    for case in cases:
        phrases += case_revealed_phrases(case)
    return check_text([("Quiz title", title), ("Quiz description", description)], phrases)
