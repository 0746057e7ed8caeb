"""Safe rendering of reviewed text: Markdown or plain text in, sanitised HTML out.

Markdown lets raw HTML through by design, so its output is always passed through
nh3 (an allow-list sanitiser): no tag, attribute or URL scheme outside the lists
below survives, whatever the author typed.
"""

import html
import re

import markdown
import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

PLAIN = "plain"
MARKDOWN = "markdown"

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_html(text: str, body_format: str) -> SafeString:
    """HTML for a page: Markdown rendered then sanitised, or plain text escaped with line breaks."""
    if body_format == MARKDOWN:
        return mark_safe(sanitize_html(markdown.markdown(text or "", output_format="html")))  # noqa: S308 (sanitised)
    return mark_safe(linebreaks(escape(text or "")))  # noqa: S308 (escaped)


def render_plain(text: str, body_format: str) -> str:
    """Copy-ready plain text (what is pasted into X or an e-mail): Markdown markup and all tags removed."""
    if body_format != MARKDOWN:
        return (text or "").strip()
    stripped = nh3.clean(markdown.markdown(text or ""), tags={"p", "br", "li"}, attributes={})
    stripped = stripped.replace("<br>", "\n").replace("</p>", "\n\n").replace("<li>", "- ")
    stripped = re.sub(r"</li>\s*", "\n", stripped)
    stripped = nh3.clean(stripped, tags=set(), attributes={})
    # nh3 re-escapes entities; the copy text is not HTML.
    return re.sub(r"\n{3,}", "\n\n", html.unescape(stripped)).strip()
