from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class APIKeysConfig(AppConfig):
    """Hashed, scoped, revocable API keys for integrations (monitoring tools, scripts)."""

    name = "crisisdesk.apikeys"
    label = "apikeys"
    verbose_name = _("Integration API keys")

    def ready(self):
        from . import (
            schema,  # noqa: F401 - registers the OpenAPI description of the key scheme
            signals,  # noqa: F401 - a deleted personal token loses its approval grant
        )
