"""Sources the desk listens to itself (issue 14): model, connectors, polling, health. See ``connectors.base``."""
