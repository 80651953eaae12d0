"""Rendered case text, cached where it pays: Markdown is a tenth of a case page's CPU time.

Two layers, both safe against edits without any explicit invalidation:

* `markdown_html(text)`: a per-process LRU keyed by the Markdown source itself. An edit
  changes the source, so it can only miss, never serve an old render. It backs the
  `|markdown` template filter, so every page (unknown case, reveal, review, quiz) gains.
* `case_sections(case, stage)`: a case's long sections rendered together, in the shared
  cache (Redis when REDIS_URL is set), keyed by the case's id, its `version` and the
  stage. Every edit bumps `version` (admin save, `case_transition`), so the next request
  reads a new key and the old entry simply expires.

Stages follow the reveal rule: UNKNOWN holds only what may be shown before answering.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from teachingfile.text import render_markdown

if TYPE_CHECKING:
    from teachingfile.models import Case

T = TypeVar("T")

UNKNOWN = "unknown"
REVEAL = "reveal"
# Which Markdown fields belong to which stage. Nothing of REVEAL may leak into UNKNOWN.
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    UNKNOWN: ("presentation",),
    REVEAL: (
        "full_history",
        "technique",
        "findings",
        "discussion",
        "teaching_points",
        "follow_up",
        "credits",
    ),
}
# Bump when the renderer's output changes (new Markdown extension, other sanitiser rules)
# so that no entry rendered the old way is served.
RENDER_VERSION = 1
SECTIONS_TIMEOUT = 60 * 60 * 24 * 7
# Long texts are rare and cheap to keep out; the LRU holds the common short blocks.
_MAX_CACHED_CHARS = 20_000


@lru_cache(maxsize=4096)
def _render_cached(text: str) -> str:
    return str(render_markdown(text))


def markdown_html(text: str) -> SafeString:
    """render_markdown, remembered per process by the source text."""
    if not text:
        return mark_safe("")
    if len(text) > _MAX_CACHED_CHARS:
        return render_markdown(text)
    # Safe: the cached string is the output of the nh3 sanitiser.
    return mark_safe(_render_cached(text))


def sections_key(case: Case, stage: str) -> str:
    return f"case-sections:r{RENDER_VERSION}:{case.pk}:v{case.version}:{stage}"


def case_sections(case: Case, stage: str) -> dict[str, SafeString]:
    """The case's Markdown sections for one stage as HTML, from the shared cache if there."""
    if stage not in STAGE_FIELDS:
        raise ValueError(f"unknown stage {stage!r}; use {UNKNOWN!r} or {REVEAL!r}")
    key = sections_key(case, stage)
    cached = cache.get(key)
    if cached is None:
        cached = {name: str(markdown_html(getattr(case, name))) for name in STAGE_FIELDS[stage]}
        cache.set(key, cached, SECTIONS_TIMEOUT)
    return {name: mark_safe(html) for name, html in cached.items()}


def for_case_version(
    case_id: int, version: int, stage: str, part: str, build: Callable[[], T]
) -> T:
    """Any picklable value derived from one case version and stage, built at most once.

    For the parts of a case page that cost more to assemble than to fetch (the questions
    with their choices, the figure list, labs): `build` runs on a miss only. Only values
    that depend on the case alone belong here, never a learner's answers.
    """
    if stage not in STAGE_FIELDS:
        raise ValueError(f"unknown stage {stage!r}; use {UNKNOWN!r} or {REVEAL!r}")
    key = f"case-part:r{RENDER_VERSION}:{case_id}:v{version}:{stage}:{part}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, SECTIONS_TIMEOUT)
    return value


def clear_local() -> None:
    """Forget this process's renders (tests, or after changing the renderer at runtime)."""
    _render_cached.cache_clear()
