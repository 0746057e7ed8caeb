"""A post-crisis review as one document: the context the printable page and the Markdown download share."""

from django.utils import timezone
from django.utils.translation import gettext as _

from postmortems import selectors
from postmortems.metrics import format_duration, incident_metrics

METRIC_LABELS = (
    ("detect", "Time to detect"),
    ("acknowledge", "Time to acknowledge"),
    ("first_public_response", "Time to first public response"),
    ("resolve", "Time to resolve"),
    ("legal_review", "Time in legal review"),
)


def review_document(review_item) -> dict:
    """Everything a review shows besides its sections: metrics, timeline, statements, action items."""
    metrics = incident_metrics(review_item.incident, first_seen_at=review_item.first_seen_at)
    action_items = list(review_item.action_items.select_related("owner", "playbook"))
    return {
        "metrics": [(name, _(label), format_duration(metrics[name])) for name, label in METRIC_LABELS],
        "timeline": selectors.review_timeline(review_item),
        "statements": list(selectors.review_statements(review_item)),
        "action_items": action_items,
        "all_closed": selectors.all_action_items_closed(review_item, action_items),
    }


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def review_markdown(review_item) -> str:
    """The review as Markdown: heading, impact, metrics, sections, timeline, statements, action items."""
    incident = review_item.incident
    document = review_document(review_item)
    lines = [
        f"# {review_item.title}",
        "",
        f"- {_('Incident')}: {incident.reference} — {incident.title}",
        f"- {_('Category')}: {incident.get_category_display()}",
        f"- {_('Severity')}: {incident.get_severity_display()}",
        f"- {_('Published')}: {_when(review_item.published_at)}",
        "",
        f"## {_('Impact')}",
        "",
        f"- {_('Reach')}: {review_item.impact_reach if review_item.impact_reach is not None else _('n/a')}",
        f"- {_('Peak mention volume')}: "
        f"{review_item.impact_peak_mentions if review_item.impact_peak_mentions is not None else _('n/a')}",
        f"- {_('Sentiment')}: {review_item.get_impact_sentiment_display()}",
        f"- {_('Press coverage')}: {review_item.impact_press.strip() or _('none recorded')}",
        "",
        f"## {_('Metrics')}",
        "",
        f"| {_('Metric')} | {_('Value')} |",
        "| --- | --- |",
        *[f"| {label} | {value} |" for _name, label, value in document["metrics"]],
    ]
    for _name, heading, text in review_item.sections():
        lines += ["", f"## {heading[:1].upper()}{heading[1:]}", "", text.strip() or "—"]
    lines += ["", f"## {_('Timeline')}", ""]
    lines += [
        f"- {_when(entry.created_at)} · {entry.get_kind_display()}: {entry.text}" for entry in document["timeline"]
    ]
    lines += ["", f"## {_('Statements')}", ""]
    lines += [
        f"- {_when(statement.published_at)} · {statement.title} ({statement.get_status_display()})"
        for statement in document["statements"]
    ] or [f"- {_('None went out.')}"]
    lines += ["", f"## {_('Action items')}", ""]
    lines += [
        f"- [{'x' if item.is_closed else ' '}] {item.title} — {item.owner.get_username()}, "
        f"{_('due')} {item.due_date.isoformat()}, {item.get_priority_display()}, {item.get_status_display()}"
        + (f", {_('playbook')}: {item.playbook.title}" if item.playbook_id else "")
        for item in document["action_items"]
    ] or [f"- {_('None.')}"]
    return "\n".join(lines) + "\n"
