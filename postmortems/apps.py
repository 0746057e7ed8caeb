from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = _("Post-crisis reviews")

    def ready(self):
        # Resolving an incident drafts its post-crisis review, in the same transaction; incidents
        # sits below postmortems and calls it through this hook, not an import.
        from incidents import hooks
        from postmortems.services import postmortem_draft_for

        hooks.register_on_incident_resolved(postmortem_draft_for)

        # The review engine's browser pages (review page, audit trail, queue links, workflow
        # buttons) know item types through its registry of kinds; a post-crisis review joins it.
        from crisisdesk.review import registry
        from postmortems.review import PostmortemKind

        registry.register(PostmortemKind())

        # manage.py seed_demo (crisisdesk.demo): the demo crises' post-crisis reviews.
        from postmortems.demo import steps as demo_steps

        demo_steps.register()
