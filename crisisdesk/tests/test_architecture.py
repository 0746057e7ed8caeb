"""The layout the architecture relies on: domain models load into their app, apps register with the kernel."""

import pytest
from django.apps import apps

from crisisdesk.review import registry
from crisisdesk.review.models import Reviewable
from incidents import hooks


@pytest.mark.parametrize(
    ("label", "models"),
    [
        ("incidents", {"incident", "statement", "mention", "alert", "responsetarget", "incidenttask"}),
        ("playbooks", {"playbook", "keymessage", "person", "department"}),
    ],
)
def test_domain_package_models_belong_to_their_app(label, models):
    """``DomainPackagesAppConfig`` loads ``<app>/<domain>/models.py``: same app label, same tables."""
    config = apps.get_app_config(label)
    assert type(config).__name__ == f"{label.capitalize()}Config"  # the app's own config, not Django's default
    assert models <= {model._meta.model_name for model in config.get_models()}
    assert apps.get_model(label, "KeyMessage" if label == "playbooks" else "Mention")._meta.db_table.startswith(label)


def test_upper_apps_fill_the_hooks_of_incidents():
    assert type(hooks.key_message_library()).__name__ == "KeyMessageLibrary"
    assert type(hooks.playbook_catalogue()).__name__ == "PlaybookCatalogue"
    assert any(callback.__name__ == "postmortem_draft_for" for callback in hooks._on_incident_resolved)


def test_every_reviewed_model_has_a_kind_in_the_registry():
    reviewed = {model for model in apps.get_models() if issubclass(model, Reviewable)}
    assert reviewed == {kind.model for kind in registry.kinds()}
