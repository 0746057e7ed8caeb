"""How the review engine's pages (review page, audit trail, queue links, workflow buttons) show statements.

Registered in ``IncidentsConfig.ready()``: the engine (``crisisdesk.review``) imports no app.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.review.registry import ReviewableKind
from incidents.models import PUBLIC_CHANNELS, Channel, Fact, Incident, Membership
from incidents.statements.models import Statement


@dataclass(frozen=True)
class StatementKind(ReviewableKind):
    """Statements live under their incident; a statement started from a key message is compared with it."""

    slug: str = "statement"
    label: str = gettext_lazy("Statement")
    model: type = Statement
    related: tuple[str, ...] = ("incident", "current_revision", "created_by")
    review_panel_template: str = "statements/partials/review_facts.html"
    # Who sees a statement (confidentiality, the team) and who must approve it (the lead): its incident's rows.
    depends_on: tuple[type, ...] = (Incident, Membership)

    def url(self, item) -> str:
        return reverse("incidents:statement_detail", kwargs={"reference": item.incident.reference, "pk": item.pk})

    def transition_url(self, item) -> str:
        return reverse("incidents:statement_transition", kwargs={"reference": item.incident.reference, "pk": item.pk})

    def publish_question(self, item) -> str:
        """ "Publish “…” to X, Website and the newsroom?": its channels, and the newsroom when it will show there."""
        places = item.get_channels_display()
        reaches_newsroom = (
            any(channel in PUBLIC_CHANNELS for channel in item.channels)
            and not item.incident.confidential
            and not item.incident.is_exercise
        )
        if reaches_newsroom:
            places.append(_("the newsroom"))
        if not places:
            return super().publish_question(item)
        return _("Publish “%(title)s” to %(places)s?") % {
            "title": item.title,
            "places": get_text_list(places, _("and")),
        }

    def origin(self, item):
        return item.from_key_message

    def review_context(self, item, content: dict, base: dict) -> dict:
        """The facts the revision cites (the side panel), and the claims of those either snapshot cites."""
        fact_ids = set(content.get("facts") or []) | set(base.get("facts") or [])
        all_facts = {fact.pk: fact for fact in Fact.objects.filter(pk__in=fact_ids, incident=item.incident)}
        return {
            "facts": [all_facts[pk] for pk in content.get("facts") or [] if pk in all_facts],
            "fact_claims": {pk: fact.claim[:80] for pk, fact in all_facts.items()},
        }

    def value_labels(self, item, context: dict) -> dict[str, dict]:
        return {"channels": dict(Channel.choices), "facts": context["fact_claims"]}
