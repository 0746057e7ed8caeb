"""The built-in connectors: importing this package registers each one (see ``base`` for the interface)."""

from incidents.listening.sources.connectors import (
    bluesky,  # noqa: F401
    bluesky_search,  # noqa: F401
    feeds,  # noqa: F401
    hackernews,  # noqa: F401
    mastodon,  # noqa: F401
    mastodon_stream,  # noqa: F401
    reddit,  # noqa: F401
    webhook,  # noqa: F401
    youtube,  # noqa: F401
)
