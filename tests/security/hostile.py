"""Read a page the way a browser would and list anything in it that could run script."""

from __future__ import annotations

from html.parser import HTMLParser

# Same-origin paths only (the CSP allows nothing else); "{% static" only ever appears in
# template sources, which the suite scans too.
_SAFE_SCRIPT_PREFIXES = ("/static/", "/admin/jsi18n/", "{% static ")
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
_DANGEROUS_TAGS = {"iframe", "object", "embed", "frame", "base", "meta-refresh"}


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in _URL_ATTRIBUTES and value:
                scheme = value.strip().lower().replace("\t", "").replace("\n", "")
                if scheme.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (blocked by the CSP anyway)")
        if tag == "script":
            self._in_script = True
            src = values.get("src") or ""
            if not src.startswith(_SAFE_SCRIPT_PREFIXES):
                self.problems.append(f"<script src={src!r}>")
        if tag in _DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")
        self.text.append(data)


def hostile_markup(html: str) -> list[str]:
    """Everything in `html` that a browser would execute or that could load a script."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.problems


def visible_text(html: str) -> str:
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return " ".join(finder.text)
