"""How the review engine's pages (review page, audit trail, queue links, workflow buttons) show statements.

Registered in ``IncidentsConfig.ready()``: the engine (``crisisdesk.review``) imports no app.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy

from crisisdesk.review.registry import ReviewableKind
from incidents.models import Channel, Fact
from incidents.statements.models import Statement


@dataclass(frozen=True)
class StatementKind(ReviewableKind):
    """Statements live under their incident; a statement started from a key message is compared with it."""

    slug: str = "statement"
    label: str = gettext_lazy("Statement")
    model: type = Statement
    related: tuple[str, ...] = ("incident", "current_revision", "created_by")
    review_panel_template: str = "statements/partials/review_facts.html"

    def url(self, item) -> str:
        return reverse("incidents:statement_detail", kwargs={"reference": item.incident.reference, "pk": item.pk})

    def transition_url(self, item) -> str:
        return reverse("incidents:statement_transition", kwargs={"reference": item.incident.reference, "pk": item.pk})

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
