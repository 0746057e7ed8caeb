"""The Celery application: ``celery -A crisisdesk worker`` and ``celery -A crisisdesk beat``.

Configured from Django's settings (the ``CELERY_`` names in ``crisisdesk/settings.py``);
tasks are found in each installed app's ``tasks`` module. Without a broker
(``REDIS_URL`` unset) tasks run eagerly in the process that enqueues them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

app = Celery("crisisdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
