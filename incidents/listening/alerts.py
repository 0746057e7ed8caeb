"""Handling a fired spike alert: open an incident from it, attach it to one, or dismiss it with a reason.

An unhandled alert is shown on the dashboard and counted in the navigation of everyone who may
see it (``Alert.objects.visible_to(user).unhandled()``) until someone handles it. Handling is
once only: each service locks the alert's row, so of two people pressing a button at the same
moment one wins and the other gets ``InvalidTransition`` (409 in the API, a message in the
browser). Whoever may open incidents and see the alert may handle it. Each handling is audited;
opening and attaching also write the incident's timeline (the spike alert note) and link the
alert's evidence mentions to the incident.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk import live
from crisisdesk.audit.services import audit_record
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.roles import TEAM_LEAD
from incidents import permissions
from incidents.listening.models import Alert, AlertHandling, Mention
from incidents.listening.services import link_mentions
from incidents.models import ACTIVE_STATUSES, Channel, Incident

UNHANDLED = "unhandled"


def can_handle_alerts(user) -> bool:
    """Open incidents from alerts, attach or dismiss them: whoever may open incidents and read alerts."""
    return permissions.can_create(user) and user.has_perm("incidents.view_alert")


def evidence_ids(alert: Alert) -> list[int]:
    """The alert's sample mentions (``evidence.mention_ids``), ignoring anything that is not a row id."""
    ids = (alert.evidence or {}).get("mention_ids", [])
    return [pk for pk in ids if type(pk) is int and 0 < pk < 2**63]


def _lock_unhandled(*, actor, alert: Alert, requested: str) -> Alert:
    """Re-read the alert with its row locked; refuse it if the actor may not, or someone was first."""
    if not can_handle_alerts(actor):
        raise PermissionDenied(_("You may not handle alerts."))
    if not Alert.objects.visible_to(actor).filter(pk=alert.pk).exists():
        raise PermissionDenied(_("You may not see this alert."))
    locked = Alert.objects.select_for_update(of=("self",)).select_related("rule", "watch_term").get(pk=alert.pk)
    if locked.handled_at is not None:
        raise InvalidTransition(
            _("This alert was already handled (%(handling)s).") % {"handling": locked.get_handling_display()},
            current=locked.handling,
            requested=requested,
        )
    return locked


def _mark(*, actor, alert: Alert, handling: str, incident: Incident | None = None, reason: str = "") -> Alert:
    alert.handling = handling
    alert.handled_at = timezone.now()
    alert.handled_by = actor
    alert.dismiss_reason = reason
    fields = ["handling", "handled_at", "handled_by", "dismiss_reason"]
    if incident is not None:
        alert.incident = incident
        fields.append("incident")
    alert.save(update_fields=fields)
    # Dashboards, alert pages and every navigation badge drop the alert within a poll.
    live.touch(live.ALERTS)
    audit_record(
        actor=actor,
        action=f"alert.{handling}",
        target=alert,
        from_state=UNHANDLED,
        to_state=handling,
        comment=reason,
        data={"incident": incident.reference} if incident is not None else {},
    )
    return alert


def _link_evidence(*, actor, alert: Alert, incident: Incident) -> None:
    """The evidence mentions not yet on an incident join this one; its timeline gets the spike note."""
    from incidents import services
    from incidents.listening.spikes import SPIKE_ALERT_NOTE

    # Evidence already on another incident stays there: the alert does not take it away.
    link_mentions(
        actor=actor,
        mentions=Mention.objects.filter(pk__in=evidence_ids(alert), incident__isnull=True),
        incident=incident,
    )
    services.timeline_add_note(
        actor=actor,
        incident=incident,
        event=SPIKE_ALERT_NOTE,
        params={"count": alert.count, "term": alert.watch_term.term, "minutes": alert.rule.window_minutes},
    )


@transaction.atomic
def alert_dismiss(*, actor, alert: Alert, reason: str) -> Alert:
    """Dismiss an alert (a false alarm, already known): the reason is required and kept."""
    if not can_handle_alerts(actor):
        raise PermissionDenied(_("You may not handle alerts."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this alert is dismissed.")})
    alert = _lock_unhandled(actor=actor, alert=alert, requested=AlertHandling.DISMISSED)
    return _mark(actor=actor, alert=alert, handling=AlertHandling.DISMISSED, reason=reason)


@transaction.atomic
def alert_attach(*, actor, alert: Alert, incident: Incident) -> Alert:
    """Attach an alert to an active incident the actor may see and write on; its evidence joins the incident."""
    if not can_handle_alerts(actor):
        raise PermissionDenied(_("You may not handle alerts."))
    if not permissions.can_view(actor, incident):
        raise PermissionDenied(_("You may not see this incident."))
    if incident.status not in ACTIVE_STATUSES:
        raise ValidationError({"incident": _("Alerts can only be attached to an active incident.")})
    if not permissions.can_add_note(actor, incident):
        raise PermissionDenied(_("You may not write on this incident's timeline."))
    alert = _lock_unhandled(actor=actor, alert=alert, requested=AlertHandling.ATTACHED)
    _mark(actor=actor, alert=alert, handling=AlertHandling.ATTACHED, incident=incident)
    _link_evidence(actor=actor, alert=alert, incident=incident)
    return alert


def incident_fields_from(alert: Alert) -> dict:
    """What an incident opened from this alert starts with: the rule's category and severity, the window."""
    rule, term = alert.rule, alert.watch_term.term
    return {
        "title": _("Spike of mentions: %(term)s") % {"term": term},
        "summary": _("%(count)d mentions in %(minutes)d minutes (baseline %(baseline).1f), %(share).0f%% negative.")
        % {
            "count": alert.count,
            "minutes": rule.window_minutes,
            "baseline": alert.baseline,
            "share": alert.negative_share * 100,
        },
        "category": rule.default_category,
        "severity": rule.default_severity,
        "source": _("Spike alert on “%(term)s” (rule “%(rule)s”)") % {"term": term, "rule": rule.name},
        # When the spike began: the start of the window that fired (before now for a replay).
        "detected_at": alert.window_start,
        "affected_channels": affected_channels_of(alert),
        "lead": lead_for(alert),
    }


def lead_for(alert: Alert):
    """The team lead who set the rule up leads what it raises, until someone hands the incident on.

    Without a lead nobody could give a severity 1 statement the lead's approval; the rule's author
    is already accountable for its alerts (a rule that acts alone handles them in that name).
    """
    author = alert.rule.created_by
    if author is not None and author.is_active and author.groups.filter(name=TEAM_LEAD).exists():
        return author
    return None


def affected_channels_of(alert: Alert) -> list[str]:
    """The channels the evidence was posted on (platforms that are channels), else the website.

    A holding statement is pre-set to these channels; the website carries the newsroom, so a spike
    seen only on platforms without a channel of their own (forums, news sites) still gets one.
    """
    return channels_of_platforms(Mention.objects.filter(pk__in=evidence_ids(alert)).values_list("platform", flat=True))


def channels_of_platforms(platforms) -> list[str]:
    """The channels among these platforms, in the channels' order, else the website (see above)."""
    platforms = set(platforms)
    channels = [channel for channel in Channel.values if channel in platforms]
    return channels or [Channel.WEBSITE]


@transaction.atomic
def alert_open_incident(*, actor, alert: Alert) -> Incident:
    """Open an incident from an alert, pre-filled from its rule; returns the incident.

    The incident is opened by ``incidents.services.incident_open`` (reference, timeline, team,
    ``incident.opened`` webhook), in this transaction: if anything fails, neither exists.
    """
    from incidents import services

    alert = _lock_unhandled(actor=actor, alert=alert, requested=AlertHandling.OPENED)
    incident = services.incident_open(actor=actor, **incident_fields_from(alert))
    _mark(actor=actor, alert=alert, handling=AlertHandling.OPENED, incident=incident)
    _link_evidence(actor=actor, alert=alert, incident=incident)
    return incident
