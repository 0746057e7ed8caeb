"""The Celery application: ``celery -A crisisdesk worker`` and ``celery -A crisisdesk beat``.

Configured from Django's settings (the ``CELERY_`` names in ``crisisdesk/settings.py``);
tasks are found in each installed app's ``tasks`` module. Without a broker
(``REDIS_URL`` unset) tasks run eagerly in the process that enqueues them.
"""

import os

from celery import Celery
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

app = Celery("crisisdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Beat publishing the heartbeat task proves beat alive (crisisdesk.observability.heartbeat).
# Connected here, in the module every Celery process (beat included) loads first.
@before_task_publish.connect(weak=False)
def record_beat_heartbeat(sender=None, **kwargs):
    from crisisdesk.observability.heartbeat import on_before_task_publish

    on_before_task_publish(sender=sender, **kwargs)
