"""User text inside a Markdown export: no raw HTML, no script or data links.

A Markdown file is rendered by whatever opens it (a wiki, a Git host, an editor preview); text
written in the application must not become markup there. ``md_text`` escapes ``&``, ``<`` and
``>`` (so no tag, comment or HTML entity survives, and no ``<javascript:…>`` autolink) and
breaks the dangerous URL schemes (``javascript:``, ``vbscript:``, ``data:``) wherever they
appear, so ``[x](javascript:…)`` or ``![x](data:…)`` are inert. Ordinary Markdown (emphasis,
lists, ``[report](https://…)`` links) written in a review's sections still renders.
"""

import re

# A dangerous scheme name and its colon, wherever it appears (even inside a longer word).
# The colon becomes a full-width colon (U+FF1A): readable, and no longer a scheme separator
# (an HTML entity or a backslash escape would be decoded back to ":" in a link destination).
# ``data`` only when the URL follows at once, so prose like "our data: 40%" is left alone.
_DANGEROUS_SCHEME_RE = re.compile(r"(?i)(javascript|vbscript):|(data):(?=\S)")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_text(value) -> str:
    """Text safe to put in a Markdown document (line breaks kept)."""
    text = str(value if value is not None else "").translate(_HTML)
    return _DANGEROUS_SCHEME_RE.sub(lambda m: f"{m.group(1) or m.group(2)}\uff1a", text)


def md_inline(value) -> str:
    """``md_text`` on one line (a heading, a list item, a table cell): line breaks become spaces."""
    return " ".join(md_text(value).split())
