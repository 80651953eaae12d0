"""Rendered case text and case rows, cached where it pays.

Two layers, both safe against edits without any explicit invalidation:

* `markdown_html(text)`: a per-process LRU keyed by the Markdown source itself. An edit
  changes the source, so it can only miss, never serve an old render. It backs the
  `|markdown` template filter, so every page (unknown case, reveal, review, quiz) gains.
* `for_case(case, stage, part, build)`: anything derived from one case version that is the
  same for every learner (its rows, see `quiz.reading.case_content`), in the shared cache
  (Redis when REDIS_URL is set), keyed by the case's id, `version`, `updated_at` and the
  stage. Every edit bumps `version` (`teachingfile.services.case_touch`, called by the
  admin after the inlines are saved, by `case_transition` and by every service that
  writes a case's rows), so the next request reads a new key and the old entry expires.

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
# A cached part belongs to one stage: nothing cached for REVEAL may be served as UNKNOWN.
STAGES = frozenset({UNKNOWN, REVEAL})
# Bump when the renderer's output changes (new Markdown extension, other sanitiser rules)
# so that no entry rendered the old way is served.
RENDER_VERSION = 1
CASE_PART_SECONDS = 60 * 60 * 24 * 7
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


def case_key(case: Case, stage: str, part: str) -> str:
    """The cache key of one part of one case version.

    The row's `updated_at` joins the version so that a database restored from a backup
    (same ids, same versions, other rows) can never be served from entries of the old one.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; use {UNKNOWN!r} or {REVEAL!r}")
    stamp = case.updated_at.timestamp() if case.updated_at else 0
    return f"case:r{RENDER_VERSION}:{case.pk}:v{case.version}:{stamp:.6f}:{stage}:{part}"


def for_case(
    case: Case, stage: str, part: str, build: Callable[[], T], *, timeout: int | None = None
) -> T:
    """Any picklable value derived from one case version and stage, built at most once.

    For what is the same for every learner (the case's rows, rendered fragments): `build`
    runs on a miss only. Never a learner's answers, their form or a CSRF token. A value
    that also depends on other rows (similar cases) passes a short `timeout`: that is how
    stale it may get.
    """
    key = case_key(case, stage, part)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CASE_PART_SECONDS if timeout is None else timeout)
    return value


def clear_local() -> None:
    """Forget this process's renders (tests, or after changing the renderer at runtime)."""
    _render_cached.cache_clear()
