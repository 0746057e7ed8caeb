"""The French catalogue is complete (nothing untranslated or fuzzy) and its compiled .mo matches the .po."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from crisisdesk.testing.system import require

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries(text: str):
    """(flags, msgid, msgstrs) of each entry, from a makemessages-style .po file."""

    def unquote(lines):
        escaped = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', "\n".join(lines)))
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), escaped)

    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d\])?) ", line)
            if match:
                current = match.group(1)
                fields[current] = [line[len(current) :]]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if "msgid" in fields:
            msgid = unquote(fields["msgid"])
            msgstrs = [unquote(v) for k, v in fields.items() if k.startswith("msgstr")]
            yield flags, msgid, msgstrs


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = [e for e in _entries(PO.read_text(encoding="utf-8")) if e[1]]  # skip the header
    assert len(entries) > 1000
    fuzzy = [msgid for flags, msgid, _ in entries if "fuzzy" in flags]
    untranslated = [msgid for _, msgid, msgstrs in entries if not all(msgstrs)]
    assert fuzzy == [], fuzzy[:10]
    assert untranslated == [], untranslated[:10]


def test_compiled_catalogue_matches_the_source(tmp_path):
    require(shutil.which("msgfmt") is not None, "msgfmt (gettext) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)
    with fresh.open("rb") as a, MO.open("rb") as b:
        expected, shipped = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
    assert shipped._catalog == expected._catalog


NNBSP = "\u202f"
# Machine text where French spacing does not apply: code spans, tags, URLs, placeholders, env:NAME, `x: false`.
_CODE = re.compile(
    r"env:[A-Z_]+|\b\w+: (?:true|false|null)\b|``.*?``|`[^`]*`|<code>.*?</code>|<kbd>.*?</kbd>|<[^>]*>"
    r"|[a-z]+://\S+|%\([a-z_]+\)[sdr]|%[sd%]|\{[a-z_]+\}"
)
# A colon, semicolon, question or exclamation mark that ends a word (not 10:30, not ::, not ?q=).
_PUNCT = re.compile(r"(.?)([:;?!])(?=[\s)»]|$)")


def typography_faults(msgstr: str) -> list[str]:
    """What breaks French typography in a msgstr: the space before ``: ; ? !`` and inside « » must be U+202F."""
    text = _CODE.sub("x", msgstr)
    faults = []
    for match in _PUNCT.finditer(text):
        if match.group(1) != NNBSP and match.group(1) not in ":;?!":
            faults.append(f"{match.group(1)!r} before {match.group(2)!r}")
    faults += ["plain space after «" for _ in re.finditer(r"«(?!\u202f)", text)]
    faults += ["plain space before »" for _ in re.finditer(r"(?<!\u202f)»", text)]
    faults += ["straight quotes" for _ in re.finditer(r'(?<![=\w])"[^"]+"', text)]
    return faults


def test_typography_check_catches_plain_and_missing_spaces():
    assert typography_faults("Exercice : %s")
    assert typography_faults("Exercice: %s")
    assert typography_faults("Publier ?")
    assert typography_faults("« Titre »")
    assert typography_faults('Cochez "Supprimer"')
    assert typography_faults(f"Exercice{NNBSP}: %s ; fin") == ["' ' before ';'"]
    # Machine text is left alone.
    for fine in (
        f"Publier{NNBSP}?",
        f"«{NNBSP}%(title)s{NNBSP}»",
        "à 10:30",
        "https://example.org/a?b=c",
        "``?role=<code>``",
        "<code>Authorization: Api-Key …</code>",
        "Appuyez sur <kbd>?</kbd>",
        "env:NOM",
        "avec active: false",
        "?q= cherche",
        '<span class="visually-hidden">',
    ):
        assert typography_faults(fine) == [], fine


def test_the_catalogue_follows_french_typography():
    faults = [
        (msgid, msgstr, fault)
        for _, msgid, msgstrs in _entries(PO.read_text(encoding="utf-8"))
        if msgid
        for msgstr in msgstrs
        for fault in typography_faults(msgstr)
    ]
    assert faults == [], faults[:10]
