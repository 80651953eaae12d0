"""Markdown for authored text, sanitised so that nothing an author writes can run."""

from __future__ import annotations

import string
import unicodedata

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "b",
    "i",
    "sup",
    "sub",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML and keep only harmless tags, attributes and URL schemes."""
    if not text:
        return mark_safe("")
    html = md.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)


def plain_text(text: str) -> str:
    """Markdown source without its markup, for snippets and search."""
    return nh3.clean(md.markdown(text or ""), tags=set()).strip()


# Punctuation and symbols ("2°", "soft-tissue", "ca++") become spaces, so that a hyphen
# joins or splits words the same way in the answer and in the accepted list.
_PUNCTUATION = set(string.punctuation)


def _is_separator(char: str) -> bool:
    return char in _PUNCTUATION or unicodedata.category(char)[0] in "PSZ"


def normalise(text: str, *, sort_words: bool = True) -> str:
    """Casefold, strip accents, turn punctuation into spaces, collapse spaces, sort words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = "".join(" " if _is_separator(char) else char for char in bare)
    words = spaced.split()
    if sort_words:
        words.sort()
    return " ".join(words)
