"""Every URL the site answers, as a concrete path: the security tests sweep them all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

# A value that satisfies the converter or regex for each parameter name the site uses;
# anything unnamed here gets "1", which every int/str/path converter accepts.
_SAMPLES = {
    "public_id": "tf-0001",
    "path": "figures/sample.png",
    "uidb64": "MQ",
    "token": "set-password",
    "content_type_id": "1",
    "object_id": "1",
}
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP_START = re.compile(r"\(\?P<(?P<name>\w+)>")
_ALTERNATIVES = re.compile(r"^\w+(\|\w+)*$")


@dataclass(frozen=True)
class SiteUrl:
    route: str  # the pattern as written, for readable test ids
    path: str  # a concrete path that resolves to `view`
    view: Callable[..., object]


def _fill_regex_groups(pattern: str) -> str:
    """Replace each (?P<name>...) group by a sample value; keep balanced parentheses."""
    out: list[str] = []
    pos = 0
    while match := _REGEX_GROUP_START.search(pattern, pos):
        out.append(pattern[pos : match.start()])
        depth, end = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(pattern[end], 0)
            end += 1
        body = pattern[match.end() : end - 1]
        name = match.group("name")
        # An alternation of plain words (the admin's app labels): take the first.
        out.append(body.split("|")[0] if _ALTERNATIVES.match(body) else _SAMPLES.get(name, "1"))
        pos = end
    out.append(pattern[pos:])
    return "".join(out)


def _concrete(route: str) -> str:
    # Regex groups first: their "(?P<name>" would otherwise look like a route parameter.
    route = _fill_regex_groups(route)
    route = _ROUTE_PARAM.sub(lambda m: _SAMPLES.get(m.group("name"), "1"), route)
    return "/" + route.replace("^", "").replace("$", "")


def _walk(patterns: list[object], prefix: str = "") -> Iterator[tuple[str, Callable[..., object]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def site_urls() -> list[SiteUrl]:
    """One concrete path per URL pattern; raises if a pattern cannot be sampled.

    Raising (instead of skipping) keeps the sweep honest: a new pattern that this module
    cannot fill in fails the suite until someone teaches it a sample value. Patterns
    shadowed by an earlier one are left out here; `shadowed_routes` reports them.
    """
    urls: list[SiteUrl] = []
    unresolved: list[str] = []
    for route, view in _walk(get_resolver().url_patterns):
        path = _concrete(route)
        try:
            match = resolve(path)
        except Resolver404:
            unresolved.append(f"{route} -> {path}")
            continue
        if match.func is view:
            urls.append(SiteUrl(route=route, path=path, view=view))
    if unresolved:
        raise AssertionError("URL patterns the sweep cannot reach:\n" + "\n".join(unresolved))
    return urls


def shadowed_routes() -> list[str]:
    """Patterns whose sample path is answered by a different, earlier view."""
    shadowed = []
    for route, view in _walk(get_resolver().url_patterns):
        path = _concrete(route)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func is not view:
            shadowed.append(
                f"{route} ({view.__module__}.{view.__name__}) is answered by "
                f"{match.func.__module__}.{match.func.__name__}"
            )
    return shadowed
