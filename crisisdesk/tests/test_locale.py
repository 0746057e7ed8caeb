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
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', "\n".join(lines))).encode().decode("unicode_escape")

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
