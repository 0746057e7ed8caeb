"""The main pages, rendered in French on the demo desk, show no English interface text.

The English phrases looked for are the catalogue's own msgids whose French differs (so an untranslated string,
a missing ``{% translate %}`` or a label built in the wrong language shows up); what people typed (titles,
bodies, names: every text column of the database) is taken out of the page before looking.
"""

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import translation

from crisisdesk.tests.test_locale import PO, _entries

# Kept in English on purpose: names of products, formats and protocols, and words French uses as they are.
NOT_INTERFACE = {"Markdown", "Atom", "Slack", "Microsoft Teams", "Mattermost", "Apprise", "Django", "JSON", "Email"}

# Columns the application wrote (not people), per model: they must come out in the reader's language.
# A timeline entry's body is the English copy of a system sentence, except for a note (no event).
GENERATED = {"notifications.Notification": ({"text"}, None), "incidents.TimelineEntry": ({"body"}, {"event": ""})}


class _Text(HTMLParser):
    """The visible text nodes of a page (no script, style or template)."""

    SKIP = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self._skipping += tag in self.SKIP

    def handle_endtag(self, tag):
        self._skipping -= tag in self.SKIP and self._skipping > 0

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.nodes.append(" ".join(data.split()))


def english_phrases() -> list[str]:
    """Msgids whose French differs, longer than 3 letters, without placeholders or markup.

    A one-word msgid that is also a French word of the catalogue (« active », « Audience ») is left out.
    """
    entries = list(_entries(PO.read_text(encoding="utf-8")))
    french_words = {word for _f, _id, msgstrs in entries for msgstr in msgstrs for word in re.findall(r"\w+", msgstr)}
    phrases = set()
    for _flags, msgid, msgstrs in entries:
        if (
            len(msgid) > 3
            and msgid not in NOT_INTERFACE
            and msgstrs
            and msgstrs[0] != msgid
            and not re.search(r"[%<>{}\n`]|://", msgid)
            and re.search(r"[A-Za-z]{4}", msgid)
            and not (re.fullmatch(r"\w+", msgid) and (msgid in french_words or msgid.lower() in french_words))
        ):
            phrases.add(msgid)
    return sorted(phrases, key=len, reverse=True)


def _strings(value):
    """The strings inside a stored value (JSON parameters included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _typed(rows, fields) -> set[str]:
    return {
        " ".join(line.split())
        for row in rows.values_list(*fields)
        for cell in row
        for line in str(cell).splitlines()
        if line.strip()
    }


def user_data() -> list[str]:
    """Every text value stored in the database (what people typed), longest first; status codes excluded."""
    values = set(get_user_model().objects.values_list("username", flat=True))
    for model in apps.get_models():
        text_fields = (models.CharField, models.TextField, models.JSONField)
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, text_fields)]
        if not fields:
            continue
        generated, typed_when = GENERATED.get(model._meta.label, (set(), None))
        if generated:
            if typed_when:
                values.update(_typed(model._default_manager.filter(**typed_when), generated))
            fields = [name for name in fields if name not in generated]
        for row in model._default_manager.values_list(*fields):
            for value in (string for cell in row for string in _strings(cell)):
                if len(value) > 3 and not re.fullmatch(r"[a-z0-9_.:/-]+", value):
                    values.update(" ".join(line.split()) for line in value.splitlines() if line.strip())
    return sorted(values, key=len, reverse=True)


def interface_text(html: str, typed: list[str], typed_blob: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    kept = []
    for node in parser.nodes:
        if node in typed_blob:
            continue
        for value in typed:
            if value in node:
                node = node.replace(value, " ")
        kept.append(node)
    return kept


def english_in(nodes: list[str], pattern: re.Pattern) -> set[str]:
    return {match.group(1) for node in nodes for match in pattern.finditer(node)}


@pytest.fixture
def french_desk(db, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    yield client
    translation.activate(settings.LANGUAGE_CODE)  # the locale middleware left French active in this thread


def main_pages() -> dict[str, str]:
    from incidents.listening.models import Alert
    from incidents.models import Incident
    from incidents.statements.models import Statement
    from playbooks.keymessages.models import KeyMessage
    from playbooks.models import Playbook
    from postmortems.models import PostmortemReview

    incident = Incident.objects.filter(statements__isnull=False).order_by("-id").first()
    statement = Statement.objects.filter(incident=incident).order_by("-id").first()
    published = Statement.objects.filter(status="published").order_by("-id").first()
    pages = {
        "dashboard": reverse("dashboard"),
        "incidents": reverse("incidents:list"),
        "war room": reverse("incidents:detail", args=[incident.reference]),
        "statement": reverse("incidents:statement_detail", args=[incident.reference, statement.pk]),
        "review queue": reverse("review:queue"),
        "review page": reverse("review:review", args=["statement", statement.pk]),
        "inbox": reverse("mentions:inbox"),
        "alerts": reverse("mentions:alerts"),
        "playbooks": reverse("playbooks:list"),
        "playbook": reverse("playbooks:detail", args=[Playbook.objects.order_by("id").first().pk]),
        "roster": reverse("roster:list"),
        "post-crisis list": reverse("postmortems:list"),
        "post-crisis page": reverse("postmortems:detail", args=[PostmortemReview.objects.order_by("id").first().pk]),
        "key messages": reverse("keymessages:list"),
        "key message": reverse("keymessages:detail", args=[KeyMessage.objects.order_by("id").first().pk]),
        "api keys": reverse("apikeys:list"),
        "webhooks": reverse("webhooks:list"),
        "notifications": reverse("notifications:list"),
        "newsroom": reverse("newsroom:list"),
        "newsroom statement": reverse("newsroom:detail", args=[published.pk]),
    }
    alert = Alert.objects.order_by("id").first()
    if alert:
        pages["alert"] = reverse("mentions:alert", args=[alert.pk])
    return pages


def test_the_main_pages_show_no_english_interface_words_in_french(french_desk):
    client = french_desk
    phrases = english_phrases()
    assert "Review queue" in phrases and "Post-crisis reviews" in phrases  # the list is the catalogue's
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])")
    typed = user_data()
    typed_blob = "\n".join(typed)
    found = {}
    anonymous = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert anonymous.status_code == 200 and 'lang="fr"' in anonymous.content.decode()
    found["login"] = english_in(interface_text(anonymous.content.decode(), typed, typed_blob), pattern)
    lead = get_user_model().objects.get(username="lead")
    client.force_login(lead)
    for name, url in main_pages().items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200, (name, url, response.status_code)
        html = response.content.decode()
        assert 'lang="fr"' in html, name
        found[name] = english_in(interface_text(html, typed, typed_blob), pattern)
    assert {name: sorted(words) for name, words in found.items() if words} == {}


def test_the_check_finds_an_untranslated_phrase():
    pattern = re.compile(r"(?<![\w-])(Review queue)(?![\w-])")
    nodes = interface_text("<p>File : Review queue</p><script>Review queue</script>", [], "")
    assert english_in(nodes, pattern) == {"Review queue"}
    # What someone typed is not interface text.
    assert english_in(interface_text("<h1>Review queue</h1>", ["Review queue"], "Review queue"), pattern) == set()
