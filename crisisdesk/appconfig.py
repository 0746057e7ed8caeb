"""The base app config of an app that keeps its models in domain packages."""

from importlib import import_module

from django.apps import AppConfig


class DomainPackagesAppConfig(AppConfig):
    """An app whose models live in its domain packages (``<app>/<domain>/models.py``) as well as ``models.py``.

    Django imports ``<app>.models`` only. Each domain's models module is imported right after it,
    while the app registry loads models, so the models belong to this app (same label, same
    tables and migrations) without ``models.py`` importing every domain — which would tie the
    domains together and defeat the independence contracts in ``pyproject.toml``.
    """

    domain_packages: tuple[str, ...] = ()
    # A base, never an app's config by itself: Django picks the one subclass marked default in apps.py.
    default = False

    def import_models(self):
        super().import_models()
        for package in self.domain_packages:
            import_module(f"{self.name}.{package}.models")
