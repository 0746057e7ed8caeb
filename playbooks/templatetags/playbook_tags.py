"""Template tags of the playbooks app: the dashboard's stale-playbook flag."""

from django import template

from playbooks.models import Playbook

register = template.Library()


@register.simple_tag(takes_context=True)
def stale_playbooks(context) -> list:
    """Playbooks past their review date that the user may see (one query; none for an outsider)."""
    user = context["request"].user
    return list(Playbook.objects.visible_to(user).stale().order_by("review_due")[:10])
