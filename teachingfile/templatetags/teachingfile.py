from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from teachingfile.caching import markdown_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str) -> SafeString:
    # Remembered per process by the source text (teachingfile/caching.py): an edit is new
    # text, so it can never be served an old render.
    return markdown_html(value or "")


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


@register.simple_tag(takes_context=True)
def query_replace(context: template.Context, **kwargs: object) -> str:
    """The current query string with some parameters replaced, for filter and page links."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
