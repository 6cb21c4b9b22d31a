"""Server-side HTML whitelist for notice bodies (standard library ``html.parser`` only).

Allowed: paragraphs, line breaks, bold/italic/underline/strike, headings h2–h4, lists, block quotes, horizontal
rules, simple tables and links (http, https, mailto, or a site path; opened with ``rel="noopener noreferrer"``).
Everything else is dropped: tags are removed (their text kept), ``script``/``style``/``iframe``… are removed with
their content, every attribute except a link's ``href`` and a cell's ``colspan``/``rowspan`` is removed.
Text is re-escaped, so the output is safe to render with ``|safe``. Plain text (no tags) becomes paragraphs.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

ALLOWED = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "hr",
    "a", "table", "thead", "tbody", "tr", "th", "td", "div", "span",
}  # fmt: skip
VOID = {"br", "hr"}
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "textarea"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
_TAG = re.compile(r"<[a-zA-Z/!]")


def _safe_href(value: str) -> str | None:
    value = (value or "").strip()
    compact = re.sub(r"[\x00-\x20]", "", value).lower()
    if compact.startswith(SAFE_SCHEMES):
        return value
    if value.startswith("/") and not value.startswith("//"):
        return value
    return None


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROP_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED:
            return
        extra = ""
        if tag == "a":
            href = _safe_href(dict(attrs).get("href", ""))
            if href is None:
                self.open.append("a:skip")
                return
            extra = f' href="{escape(href, quote=True)}" rel="noopener noreferrer" target="_blank"'
        elif tag in ("td", "th"):
            for name, value in attrs:
                if name in ("colspan", "rowspan") and (value or "").isdigit() and 0 < int(value) <= 20:
                    extra += f' {name}="{int(value)}"'
        elif tag == "table":
            extra = ' class="table table-sm table-bordered"'
        self.out.append(f"<{tag}{extra}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in VOID and not self.dropping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in DROP_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag in VOID:
            return
        key = (
            "a:skip"
            if tag == "a" and "a:skip" in self.open and "a" not in self.open[self.open.index("a:skip") :]
            else tag
        )
        if key not in self.open:
            return
        # close everything opened after it (mis-nested input), then it
        while self.open:
            top = self.open.pop()
            if top != "a:skip":
                self.out.append(f"</{top}>")
            if top == key:
                break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def close(self):
        super().close()
        while self.open:
            top = self.open.pop()
            if top != "a:skip":
                self.out.append(f"</{top}>")


def sanitize_html(value: str) -> str:
    """The whitelisted HTML of ``value`` (see module docstring)."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _TAG.search(value):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
        return "".join("<p>" + escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs)
    cleaner = _Cleaner()
    cleaner.feed(value)
    cleaner.close()
    return "".join(cleaner.out).strip()


def plain_text(html_value: str, limit: int = 200) -> str:
    """Text of sanitized HTML, for summaries and external messages."""
    text = re.sub(r"<[^>]+>", " ", html_value or "")
    from html import unescape

    text = re.sub(r"\s+", " ", unescape(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
