"""Reads of key messages that other apps use: the library statements start from (``incidents.hooks``).

Ranking for an incident (``rank_key_messages``), decided for issue 12:

- only usable key messages (approved, unexpired: ``KeyMessageQuerySet.usable()``) the user may read;
- a key message's **categories** are the scenarios of the playbooks whose *active* (approved) version
  lists it — key messages carry no category of their own, the plans they belong to do; one listed by no
  active playbook is **general**;
- order: the incident's language first (another language is **ranked last, not hidden**: a bilingual
  desk may answer in both and the picker lets people choose deliberately, but it never pre-fills); then,
  when a kind is asked for (drafting a holding statement), that kind before the others; then the
  incident's category before general ones before another category's; then holding statements before
  lines to take and Q&A (those two are internal instructions, not public words);
- each comes with a translated reason ("Same category (product defect), same language (English),
  holding statement") and ``fits`` — may pre-fill a holding statement alone: a holding statement, same
  language, same category or general.
"""

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from crisisdesk.review.models import ContentLanguage
from incidents.hooks import KeyMessageSuggestion
from incidents.models import Category
from playbooks.keymessages.models import KeyMessage, KeyMessageKind

KIND_ORDER = {KeyMessageKind.HOLDING_STATEMENT: 0, KeyMessageKind.LINE_TO_TAKE: 1, KeyMessageKind.QA: 2}
SAME, GENERAL, OTHER = 0, 1, 2


def incident_language(incident) -> str:
    """The language an incident speaks: its latest statement's, else the site's default (``LANGUAGE_CODE``)."""
    latest = incident.statements.order_by("-created_at", "-id").values_list("language", flat=True).first()
    if latest:
        return latest
    default = (settings.LANGUAGE_CODE or "en")[:2]
    return default if default in ContentLanguage.values else ContentLanguage.EN


def key_message_categories(key_messages) -> dict[int, tuple[str, ...]]:
    """Per key message id, the scenarios of the playbooks whose active version lists it (one query)."""
    through = KeyMessage.playbook_versions.through
    rows = (
        through.objects.filter(keymessage__in=[km.pk for km in key_messages])
        .filter(playbookversion__playbook__active_version=F("playbookversion"))
        .values_list("keymessage_id", "playbookversion__playbook__scenario")
        .order_by("playbookversion__playbook__scenario")
        .distinct()
    )
    categories: dict[int, list[str]] = {}
    for key_message_id, scenario in rows:
        categories.setdefault(key_message_id, []).append(scenario)
    return {pk: tuple(values) for pk, values in categories.items()}


def _kind_reason(kind: str) -> str:
    if kind == KeyMessageKind.HOLDING_STATEMENT:
        return _("holding statement")
    if kind == KeyMessageKind.LINE_TO_TAKE:
        return _("line to take (an internal instruction)")
    return _("Q&A (an internal instruction)")


def _category_label(code: str) -> str:
    return str(Category(code).label).lower() if code in Category.values else code


def _reason(*, category_match: int, categories, incident_category: str, same_language: bool, language: str, kind):
    if category_match == SAME:
        category = _("same category (%(category)s)") % {"category": _category_label(incident_category)}
    elif category_match == GENERAL:
        category = _("general (in no playbook)")
    else:
        category = _("other category (%(category)s)") % {
            "category": ", ".join(_category_label(code) for code in categories)
        }
    language_label = ContentLanguage(language).label if language in ContentLanguage.values else language
    if same_language:
        language_text = _("same language (%(language)s)") % {"language": language_label}
    else:
        language_text = _("other language (%(language)s)") % {"language": language_label}
    reason = ", ".join([category, language_text, _kind_reason(kind)])
    return reason[:1].upper() + reason[1:]


def rank_key_messages(user, *, incident, kind: str | None = None, language: str | None = None):
    """The usable key messages ``user`` may read, best first for ``incident``, as ``KeyMessageSuggestion``s.

    Two queries whatever the number of key messages (the messages, their playbooks' scenarios), plus one
    for the incident's language when ``language`` is not given.
    """
    language = language or incident_language(incident)
    key_messages = list(KeyMessage.objects.visible_to(user).usable())
    categories = key_message_categories(key_messages) if key_messages else {}
    rows = []
    for key_message in key_messages:
        own = categories.get(key_message.pk, ())
        if incident.category in own:
            category_match = SAME
            own = (incident.category, *[code for code in own if code != incident.category])
        elif not own:
            category_match = GENERAL
        else:
            category_match = OTHER
        same_language = key_message.language == language
        kind_order = KIND_ORDER.get(key_message.kind, len(KIND_ORDER))
        if kind:
            key = (not same_language, key_message.kind != kind, category_match, kind_order)
        else:
            key = (not same_language, category_match, kind_order)
        rows.append((key + (key_message.topic, key_message.title, key_message.pk), key_message, own, category_match))
    rows.sort(key=lambda row: row[0])
    suggestions = []
    for rank, (_key, key_message, own, category_match) in enumerate(rows, start=1):
        same_language = key_message.language == language
        suggestions.append(
            KeyMessageSuggestion(
                key_message=key_message,
                rank=rank,
                reason=_reason(
                    category_match=category_match,
                    categories=own,
                    incident_category=incident.category,
                    same_language=same_language,
                    language=key_message.language,
                    kind=key_message.kind,
                ),
                categories=own,
                same_category=category_match == SAME,
                same_language=same_language,
                fits=same_language and category_match != OTHER and key_message.kind == KeyMessageKind.HOLDING_STATEMENT,
            )
        )
    return suggestions


class KeyMessageLibrary:
    """What a statement may start from: registered with ``incidents.hooks`` in ``PlaybooksConfig.ready()``."""

    def visible(self, user) -> QuerySet:
        return KeyMessage.objects.visible_to(user)

    def usable(self, user) -> QuerySet:
        return KeyMessage.objects.visible_to(user).usable()

    def kind_choices(self) -> list[tuple[str, str]]:
        return list(KeyMessageKind.choices)

    def ranked(self, user, *, incident, kind: str | None = None, language: str | None = None) -> list:
        return rank_key_messages(user, incident=incident, kind=kind, language=language)
