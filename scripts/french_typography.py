"""Apply French typography to the msgstrs of a .po file (idempotent).

Narrow no-break space (U+202F) before ``: ; ? !`` and inside « »; straight double quotes become « ».
Code spans (``…``, <code>, <kbd>), URLs, times (10:30), ``::`` and query strings (?q=) are left alone.
Usage: python scripts/french_typography.py locale/fr/LC_MESSAGES/django.po
"""

import re
import sys
from pathlib import Path

NNBSP = "\u202f"
# Spans that are code or machine text: never touched.
PROTECTED = re.compile(
    r"env:[A-Z_]+|\b\w+: (?:true|false|null)\b|``.*?``|`[^`]*`|<code>.*?</code>|<kbd>.*?</kbd>|<[^>]*>|https?://\S+|%\([a-z_]+\)[sdr]|%[sd]|\{[a-z_]+\}"
)
# Punctuation that takes a space before it in French, when it ends a word (followed by a space, the end,
# a tag, a closing bracket or quote): not ``::``, not 10:30, not ?q=.
PUNCT = re.compile(r"(?<=\S)[ \u00a0\u202f]?([:;?!])(?=[\s<)»]|$)")


def typeset(text: str) -> str:
    text = re.sub(r"env[ \u00a0\u202f]:", "env:", text)
    parts, last = [], 0
    for match in PROTECTED.finditer(text):
        parts.append(_plain(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_plain(text[last:]))
    joined = "".join(parts)
    # A placeholder or tag just before the punctuation: the space goes in front too.
    joined = re.sub(
        r"(%\([a-z_]+\)[sdr]|%[sd]|</?[a-z]+[^>]*>)[ \u00a0]?([:;?!])(?=[\s<)»]|$)", rf"\1{NNBSP}\2", joined
    )
    joined = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, joined)
    joined = re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", joined)
    return joined


def _plain(chunk: str) -> str:
    chunk = re.sub(r'(?<![=\w])\\"(.+?)\\"', lambda m: f"«{NNBSP}{m.group(1)}{NNBSP}»", chunk)
    return PUNCT.sub(lambda m: NNBSP + m.group(1), chunk)


def main(path: str) -> None:
    """Rewrite each msgstr (joined on one line; ``makemessages`` wraps them again), header excepted."""
    text = Path(path).read_text(encoding="utf-8")
    header, _, rest = text.partition("\n\n")
    out, key, chunks = [], None, []

    def flush():
        if key is not None:
            out.append(f'{key} "{typeset("".join(chunks))}"')

    for line in rest.split("\n"):
        match = re.match(r'^(msgstr(?:\[\d\])?) "(.*)"$', line)
        if match:
            flush()
            key, chunks = match.group(1), [match.group(2)]
        elif key is not None and line.startswith('"') and line.endswith('"'):
            chunks.append(line[1:-1])
        else:
            flush()
            key, chunks = None, []
            out.append(line)
    flush()
    Path(path).write_text(header + "\n\n" + "\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
