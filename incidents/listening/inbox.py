"""The inbox's own actions and reads: open an incident from ticked mentions, new negative mentions per term.

Opening is one step: the incident is opened by ``incidents.services.incident_open`` (reference,
timeline, team, ``incident.opened`` webhook) pre-filled from the mentions — title from their top
watch terms, detected at the earliest post, affected channels from their platforms — and the
mentions are linked by ``services.link_mentions`` (triaged, audited), all in one transaction:
if anything fails, nothing is opened nor linked. The team edits the rest in the war room.
"""

from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from incidents import permissions, timeline
from incidents.listening.alerts import channels_of_platforms
from incidents.listening.models import Mention, MentionStatus, MentionTerm, Sentiment, WatchTerm
from incidents.listening.services import can_triage, link_mentions
from incidents.models import Incident

# Top watch terms named in a suggested title, and mentions quoted in the summary.
TITLE_TERMS = 3
SUMMARY_MENTIONS = 10
SUMMARY_QUOTE = 200
MAX_MENTIONS = 1000
TITLE_MAX = 200

INBOX_OPENED_NOTE = timeline.event(
    "listening.inbox_opened",
    gettext_lazy("Opened from %(count)d mentions ticked in the inbox."),
)


def can_open_incident_from_mentions(user) -> bool:
    """Whoever may open incidents and triage mentions (linking them is triage)."""
    return permissions.can_create(user) and can_triage(user)


def top_terms(mentions: list[Mention]) -> list[str]:
    """The watch terms matched most often in these mentions, most frequent first (ties by name)."""
    counts = Counter(
        MentionTerm.objects.filter(mention__in=[m.pk for m in mentions]).values_list("watch_term__term", flat=True)
    )
    return [term for term, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))]


def suggested_title(mentions: list[Mention]) -> str:
    """“Mentions of Acme, #AcmeFail” from the top watch terms; without any, the platforms."""
    terms = top_terms(mentions)[:TITLE_TERMS]
    if terms:
        title = _("Mentions of %(terms)s") % {"terms": ", ".join(terms)}
    else:
        platforms = sorted({m.platform for m in mentions})
        title = _("Mentions on %(platforms)s") % {"platforms": ", ".join(platforms)}
    return title[:TITLE_MAX]


def _summary(mentions: list[Mention]) -> str:
    negative = sum(1 for m in mentions if m.sentiment_label == Sentiment.NEGATIVE)
    head = ngettext(
        "%(count)d mention ticked in the inbox, %(negative)d negative:",
        "%(count)d mentions ticked in the inbox, %(negative)d negative:",
        len(mentions),
    ) % {"count": len(mentions), "negative": negative}
    # The most read first: what the team should look at before anything else.
    quoted = sorted(mentions, key=lambda m: (-m.audience, m.posted_at, m.pk))[:SUMMARY_MENTIONS]
    lines = [head]
    for m in quoted:
        text = m.text if len(m.text) <= SUMMARY_QUOTE else m.text[: SUMMARY_QUOTE - 1] + "…"
        lines.append(f"- {m.platform} · {m.author or '—'}: “{text}”")
    if len(mentions) > len(quoted):
        lines.append(_("… and %(more)d more in the inbox.") % {"more": len(mentions) - len(quoted)})
    return "\n".join(lines)


def incident_fields_from_mentions(mentions: list[Mention]) -> dict:
    """What an incident opened from these mentions starts with (the title may be replaced by the user's)."""
    return {
        "title": suggested_title(mentions),
        "summary": _summary(mentions),
        "source": _("Mention inbox"),
        # A source's clock may run ahead of ours: never a detection time in the future.
        "detected_at": min(min(m.posted_at for m in mentions), timezone.now()),
        "affected_channels": channels_of_platforms(m.platform for m in mentions),
    }


@transaction.atomic
def mentions_open_incident(*, actor, mention_ids: list[int], title: str = "") -> Incident:
    """Open an incident from mentions the actor may see and link them to it; returns the incident.

    Every id must name a visible mention: the unknown ones (missing or hidden alike) are named in
    one field error and nothing is written.
    """
    if not can_open_incident_from_mentions(actor):
        raise PermissionDenied(_("You may not open incidents from mentions."))
    ids = list(dict.fromkeys(mention_ids))
    if not ids:
        raise ValidationError({"mentions": _("Tick at least one mention.")})
    if len(ids) > MAX_MENTIONS:
        raise ValidationError({"mentions": _("At most %(max)d mentions at a time.") % {"max": MAX_MENTIONS}})
    # Locked: a concurrent triage cannot move a mention between reading it and linking it.
    found = {
        m.pk: m
        for m in Mention.objects.visible_to(actor)
        .filter(pk__in=[pk for pk in ids if 0 < pk < 2**63])
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            {"mentions": [_("Mention %(id)s not found.") % {"id": pk} for pk in missing]},
        )
    mentions = [found[pk] for pk in ids]
    fields = incident_fields_from_mentions(mentions)
    title = (title or "").strip()
    if title:
        fields["title"] = title

    from incidents import services

    incident = services.incident_open(actor=actor, **fields)
    link_mentions(actor=actor, mentions=Mention.objects.filter(pk__in=ids), incident=incident)
    services.timeline_add_note(actor=actor, incident=incident, event=INBOX_OPENED_NOTE, params={"count": len(ids)})
    return incident


def new_negative_counts(user) -> list[WatchTerm]:
    """Active watch terms with ``new_negative``: their untriaged negative mentions the user may see (one query)."""
    visible = Mention.objects.visible_to(user).filter(status=MentionStatus.NEW, sentiment_label=Sentiment.NEGATIVE)
    return list(
        WatchTerm.objects.filter(active=True)
        .annotate(new_negative=Count("matches", filter=Q(matches__mention__in=visible.values("pk"))))
        .order_by("-new_negative", "term")
    )
