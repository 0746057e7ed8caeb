from django.utils.translation import gettext_lazy as _

from crisisdesk.appconfig import DomainPackagesAppConfig


class PlaybooksConfig(DomainPackagesAppConfig):
    default = True
    name = "playbooks"
    domain_packages = ("keymessages", "roster")
    verbose_name = _("Playbooks")

    def ready(self):
        # incidents sits below playbooks and never imports it: playbooks hands it what it needs.
        from incidents import hooks
        from playbooks.keymessages.selectors import KeyMessageLibrary
        from playbooks.selectors import PlaybookCatalogue

        hooks.register_key_message_library(KeyMessageLibrary())
        hooks.register_playbook_catalogue(PlaybookCatalogue())

        # Spike alerts notify whoever the roster has on duty (first call of a role).
        from playbooks.roster.selectors import on_duty_users

        hooks.register_on_duty(on_duty_users)

        # The review engine's pages (review page, audit trail, queue links, workflow buttons)
        # know key messages and playbook versions through its registry of kinds.
        from crisisdesk.review import registry
        from playbooks.keymessages.review import KeyMessageKind
        from playbooks.review import PlaybookVersionKind

        registry.register(KeyMessageKind())
        registry.register(PlaybookVersionKind())

        # manage.py seed_demo (crisisdesk.demo): key messages before the crises, then roster and playbooks.
        from playbooks.demo import steps as demo_steps

        demo_steps.register()
