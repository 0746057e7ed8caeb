"""What a web worker imports before its first request stays lean (issue 15: worker memory).

A worker loads the settings, every app's models, the admin and the URLconf at start-up. The libraries
below are needed only by one page or one background job, and each costs megabytes in every worker:
they are imported where they are used. The check runs in a fresh interpreter with the production
settings module, as gunicorn loads it (``crisisdesk.wsgi``), so what the test process already
imported does not hide a regression.
"""

import json
import subprocess
import sys

from django.conf import settings

from crisisdesk.tests.test_deploy_check import production_env

# Module → where it is imported instead (and what it weighs in a worker, measured 4 Dec on Python 3.11).
LOADED_ON_USE = {
    "qrcode": "crisisdesk.twofactor.views.qr_svg, on the enrolment page (with Pillow: ~4 MiB)",
    "PIL": "qrcode's image drawers, through qr_svg",
    "apprise": "crisisdesk.chat.services, when a chat message is sent",
    "feedparser": "the feed connector, when a feed is polled",
    "mastodon": "the Mastodon connector's client, when an instance is polled",
    "praw": "the Reddit connector's client, when a subreddit is polled",
    "atproto": "the Bluesky connectors, when Bluesky is polled",
    "lingua": "language detection, when mentions are ingested",
    "weasyprint": "the post-crisis review's PDF export",
}

SCRIPT = """
import json, sys
from crisisdesk.wsgi import application
from django.contrib.auth import load_backend
from django.urls import get_resolver

get_resolver().url_patterns  # the URLconf is imported on the first request
for path in __import__("django.conf").conf.settings.AUTHENTICATION_BACKENDS:
    load_backend(path)  # a signed-in request loads its session's backend
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_worker_does_not_import_what_only_one_page_or_job_needs():
    env = production_env(DJANGO_SETTINGS_MODULE="crisisdesk.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "django" in loaded and "incidents" in loaded  # the check saw a real start-up
    assert {name: LOADED_ON_USE[name] for name in LOADED_ON_USE if name in loaded} == {}
