from django.utils.translation import gettext_lazy as _

from crisisdesk.appconfig import DomainPackagesAppConfig


class IncidentsConfig(DomainPackagesAppConfig):
    default = True
    name = "incidents"
    domain_packages = ("statements", "listening", "listening.sources", "response", "checklist")
    verbose_name = _("Incidents")

    def ready(self):
        # The review engine's pages (review page, audit trail, queue links, workflow buttons)
        # know statements through its registry of kinds; the engine imports no app.
        from crisisdesk.review import registry
        from incidents.statements.review import StatementKind

        registry.register(StatementKind())

        # A refuted fact flags the published statements that cite it (incidents.hooks).
        from incidents import hooks
        from incidents.statements.services import statements_flag_refuted_fact

        hooks.register_on_fact_refuted(statements_flag_refuted_fact)

        # The navigation bar's alerts badge, counted with the other badges in one query (crisisdesk.badges).
        from crisisdesk.badges import register_badge
        from incidents.templatetags import alert_tags

        register_badge(alert_tags.BADGE, alert_tags.unhandled_alerts_for)

        # In-app notification kinds of each domain (crisisdesk.notifications).
        from incidents.checklist.services import register_notification_kinds as checklist_kinds
        from incidents.listening.sources.services import register_notification_kinds as source_kinds
        from incidents.listening.spikes import register_notification_kinds as listening_kinds
        from incidents.response.services import register_notification_kinds as response_kinds
        from incidents.statements.services import register_notification_kinds as statement_kinds

        for register_kinds in (checklist_kinds, listening_kinds, source_kinds, response_kinds, statement_kinds):
            register_kinds()

        # Product metrics on /metrics (crisisdesk.observability): alerts, mentions, response clocks.
        from crisisdesk.observability.registry import register_metric_provider
        from incidents.listening import metrics as listening_metrics
        from incidents.response import metrics as response_metrics

        for provider in (listening_metrics.alerts, listening_metrics.mentions, response_metrics.response_clocks):
            register_metric_provider(provider)

        # /healthz: the stream process's heartbeat, when a stream source is enabled.
        from crisisdesk.health import register_check
        from incidents.listening.sources.stream import HEARTBEAT_PROCESS, check_listen

        register_check(HEARTBEAT_PROCESS, check_listen)

        # manage.py seed_demo (crisisdesk.demo): the demo users, crises and mentions.
        from incidents.demo import steps as demo_steps

        demo_steps.register()

        # make demo (no broker): runserver polls the due listening sources on a timer, in-process.
        from incidents.listening.sources.polling import maybe_start_demo_timer

        maybe_start_demo_timer()
