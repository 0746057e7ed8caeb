"""Settings of the bench's gunicorn: the deployment's settings, with the bench URLconf (the bare view added).

Nothing else changes: same middleware, same database pool, same cache, same DEBUG (off under ``make bench``).
"""

from crisisdesk.settings import *  # noqa: F403 - the deployment's settings, unchanged

ROOT_URLCONF = "crisisdesk.bench.urls"
