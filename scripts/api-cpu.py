"""CPU milliseconds per API request (issue 15): ``time.process_time()`` over N requests in one process.

The bench's settings (``crisisdesk.bench.settings``: DEBUG off, every middleware, Redis as the
cache when ``scripts/with-redis.sh`` runs it), its data (1,000 incidents, seeded when the database
is empty) and its targets (the bare view, the API list of 20 and the API detail with the first
communicator's token), through ``django.test.Client``: no HTTP server and no network, so a shared,
loaded machine disturbs it less than wall time. ROUNDS rounds of N requests per target; the
fastest round is reported (the one other jobs disturbed least). docs/performance.md, "API round".

    export DJANGO_SECRET_KEY=bench DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0 DJANGO_PLAIN_STATIC=1 \
        DJANGO_ALLOWED_HOSTS=testserver,localhost DJANGO_DEBUG=0 CRISISDESK_2FA_ENFORCE=0   # the Makefile's BENCH_ENV
    bash scripts/with-postgres.sh bash scripts/with-redis.sh .venv/bin/python scripts/api-cpu.py [N] [ROUNDS]

``API_CPU_PROFILE=DIR`` also writes a cProfile (CPU time) of 100 requests per API target into DIR.
"""

import cProfile
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.bench.settings")
if os.environ.get("CRISISDESK_TEST_REDIS_URL"):
    os.environ.setdefault("CACHE_REDIS_URL", os.environ["CRISISDESK_TEST_REDIS_URL"])
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from crisisdesk.bench.data import seed_incidents, seed_users  # noqa: E402
from crisisdesk.bench.targets import build_targets  # noqa: E402
from incidents.models import Incident  # noqa: E402

TARGETS = ("bare Django view", "API list of 20", "API detail")


def main(requests: int, rounds: int) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    if not Incident.objects.exists():
        seed_incidents(count=1000, users=seed_users(), rng=random.Random(15), now=datetime.now(UTC))
    targets = [t for t in build_targets()[0] if t["target"] in TARGETS]
    print("cache:", settings.CACHES["default"]["BACKEND"], "| database:", connection.vendor, "| DEBUG:", settings.DEBUG)
    client = Client()

    def get(target):
        headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in target["headers"].items()}
        response = client.get(target["path"], **headers)
        assert response.status_code == 200, (target["target"], response.status_code)
        return response

    for target in targets:
        target["bytes"] = len(get(target).content)
        with CaptureQueriesContext(connection) as ctx:
            get(target)
        target["sql"] = len(ctx.captured_queries)
        for _ in range(30):
            get(target)
    for target in targets:
        target["rounds"] = []
    for _ in range(rounds):
        for target in targets:
            started = time.process_time()
            for _ in range(requests):
                get(target)
            target["rounds"].append((time.process_time() - started) * 1000 / requests)
    bare = min(targets[0]["rounds"])
    for target in targets:
        best = min(target["rounds"])
        every = ", ".join(f"{ms:.2f}" for ms in target["rounds"])
        print(
            f"{target['target']:<18} SQL {target['sql']}  {target['bytes']:>6} B  "
            f"CPU {best:6.2f} ms/request (rounds: {every})  x bare {best / bare:.1f}"
        )
    if directory := os.environ.get("API_CPU_PROFILE"):
        for target in targets[1:]:
            profile = cProfile.Profile(time.process_time)
            with profile:
                for _ in range(100):
                    get(target)
            profile.dump_stats(Path(directory) / f"{target['target'].replace(' ', '-')}.prof")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
