"""The built-in connectors: importing this package registers each one (see ``base`` for the interface)."""
