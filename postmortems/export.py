"""A post-crisis review as one document: the context the printable page and the Markdown download share.

Every text a user wrote goes into the Markdown through ``crisisdesk.mdsafe`` (no raw HTML, no
``javascript:``/``data:`` links); the printable page is a template, autoescaped.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisisdesk.mdsafe import md_inline, md_text
from postmortems import selectors
from postmortems.metrics import format_duration, incident_metrics

METRIC_LABELS = (
    ("detect", gettext_noop("Time to detect")),
    ("acknowledge", gettext_noop("Time to acknowledge")),
    ("first_public_response", gettext_noop("Time to first public response")),
    ("resolve", gettext_noop("Time to resolve")),
    ("legal_review", gettext_noop("Time in legal review")),
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


def _list_item_text(value: str) -> str:
    # Continuation lines indented, so a multi-line entry stays inside its list item.
    return "\n  ".join(md_text(value.strip()).splitlines())


def review_markdown(review_item) -> str:
    """The review as Markdown: heading, impact, metrics, sections, timeline, statements, action items."""
    incident = review_item.incident
    document = review_document(review_item)
    lines = [
        f"# {md_inline(review_item.title)}",
        "",
        f"- {_('Incident')}: {incident.reference} — {md_inline(incident.title)}",
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
        f"- {_('Press coverage')}: {md_inline(review_item.impact_press.strip()) or _('none recorded')}",
        "",
        f"## {_('Metrics')}",
        "",
        f"| {_('Metric')} | {_('Value')} |",
        "| --- | --- |",
        *[f"| {label} | {value} |" for _name, label, value in document["metrics"]],
    ]
    for _name, heading, text in review_item.sections():
        lines += ["", f"## {heading[:1].upper()}{heading[1:]}", "", md_text(text.strip()) or "—"]
    lines += ["", f"## {_('Timeline')}", ""]
    lines += [
        f"- {_when(entry.created_at)} · {entry.get_kind_display()}: {_list_item_text(entry.text)}"
        for entry in document["timeline"]
    ]
    lines += ["", f"## {_('Statements')}", ""]
    lines += [
        f"- {_when(statement.published_at)} · {md_inline(statement.title)} ({statement.get_status_display()})"
        for statement in document["statements"]
    ] or [f"- {_('None went out.')}"]
    lines += ["", f"## {_('Action items')}", ""]
    lines += [
        f"- [{'x' if item.is_closed else ' '}] {md_inline(item.title)} — {md_inline(item.owner.get_username())}, "
        f"{_('due')} {item.due_date.isoformat()}, {item.get_priority_display()}, {item.get_status_display()}"
        + (f", {_('playbook')}: {md_inline(item.playbook.title)}" if item.playbook_id else "")
        for item in document["action_items"]
    ] or [f"- {_('None.')}"]
    return "\n".join(lines) + "\n"
