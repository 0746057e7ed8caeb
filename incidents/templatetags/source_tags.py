"""``{% failing_sources_warning %}``: the dashboard's warning about sources failing longer than the setting."""

from django import template

from incidents.listening.sources.models import Source
from incidents.listening.sources.services import failing_minutes

register = template.Library()


@register.inclusion_tag("mentions/partials/failing_sources.html", takes_context=True)
def failing_sources_warning(context) -> dict:
    """Enabled sources failing for ``SOURCE_FAILING_WARN_MINUTES`` or more (one query; none without the permission)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("incidents.view_source"):
        return {"sources": []}
    minutes = failing_minutes()
    return {"sources": list(Source.objects.visible_to(user).failing_for(minutes)[:10]), "minutes": minutes}
