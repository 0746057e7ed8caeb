"""The built-in connectors: importing this package registers each one (see ``base`` for the interface)."""

from incidents.listening.sources.connectors import bluesky  # noqa: E402,F401
