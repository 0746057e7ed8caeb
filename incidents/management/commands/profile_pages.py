"""``manage.py profile_pages``: where one request of each hot page spends its time, per layer (issue 15).

Run on a throwaway database with the deployment's settings (DEBUG off, every middleware):

    CRISISDESK_2FA_ENFORCE=0 DJANGO_SECRET_KEY=x DJANGO_ALLOWED_HOSTS=testserver bash scripts/with-postgres.sh \\
        .venv/bin/python manage.py profile_pages --migrate --seed

It signs in demo users (``seed_demo``), makes each page's request ``--warmup`` times, then times
``--requests`` more through Django's WSGI handler (the middleware chain as deployed; no HTTP server
and no network) and prints, per page, the milliseconds per request of each layer
(``crisisdesk.profiling``). ``--pyinstrument DIR`` also writes one pyinstrument call tree per page.
``--cpu`` prints instead one table for before/after comparisons on a shared machine: CPU ms per request
(``time.process_time``), wall ms, Python function calls and SQL statements per request (docs/performance.md,
"Template round").
"""

import cProfile
import pstats
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.authtoken.models import Token

from crisisdesk import profiling
from incidents.models import Incident


class Command(BaseCommand):
    help = "Time one request of each hot page per layer (middleware, auth, SQL, view, templates, crispy, DRF)."

    def add_arguments(self, parser):
        parser.add_argument("--migrate", action="store_true", help="Run migrate first (a fresh database).")
        parser.add_argument("--seed", action="store_true", help="Run seed_demo first.")
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--warmup", type=int, default=10)
        parser.add_argument("--pyinstrument", metavar="DIR", help="Write one pyinstrument text profile per page.")
        parser.add_argument(
            "--cpu",
            action="store_true",
            help="Print only a table of each page's CPU milliseconds per request (time.process_time, without "
            "the per-layer checkpoints): independent of the machine's load, for before/after comparisons.",
        )
        parser.add_argument("--only", nargs="*", metavar="TITLE", help="Only the pages whose title starts so.")

    def handle(self, *args, **options):
        if options["migrate"]:
            call_command("migrate", verbosity=0)
        if options["seed"]:
            call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        profiling.install()
        from django.contrib.auth import get_user_model

        users = {u.username: u for u in get_user_model().objects.filter(username__in=["comms", "lead", "legal"])}
        incident = Incident.objects.annotate(n=Count("timeline")).order_by("-n").first()
        token = Token.objects.get_or_create(user=users["lead"])[0].key
        pages = [
            ("dashboard", users["lead"], "/", {}),
            ("incident list", users["lead"], "/incidents/", {}),
            ("war room (team lead)", users["lead"], incident.get_absolute_url(), {}),
            ("war room (communicator)", users["comms"], incident.get_absolute_url(), {}),
            ("review queue (legal)", users["legal"], "/reviews/queue/", {}),
            ("mention inbox", users["comms"], "/mentions/", {}),
            (
                "API list of 20 (token)",
                None,
                "/api/v1/incidents/?page_size=20",
                {"HTTP_AUTHORIZATION": f"Token {token}"},
            ),
            (
                "API detail (token)",
                None,
                f"/api/v1/incidents/{incident.reference}/",
                {"HTTP_AUTHORIZATION": f"Token {token}"},
            ),
        ]
        if options["only"]:
            pages = [page for page in pages if any(page[0].startswith(prefix) for prefix in options["only"])]
        if options["cpu"]:
            self._cpu_table(pages, options)
            return
        middleware = profiling.instrumented_middleware(list(settings.MIDDLEWARE))
        with override_settings(MIDDLEWARE=middleware):
            for title, user, path, headers in pages:
                self._page(title, user, path, headers, options)
        if options["pyinstrument"]:
            # Without the checkpoints: the call tree as deployed.
            for title, user, path, headers in pages:
                self._pyinstrument(title, user, path, headers, Path(options["pyinstrument"]))

    def _client(self, user, path, headers):
        client = Client()
        if user is not None:
            client.force_login(user)
        return lambda: client.get(path, secure=True, **headers)

    def _page(self, title, user, path, headers, options):
        get = self._client(user, path, headers)
        for _ in range(options["warmup"]):
            assert get().status_code == 200, (title, path)
        walls = []
        with profiling.timing() as layers:
            for _ in range(options["requests"]):
                started = time.perf_counter()
                get()
                walls.append((time.perf_counter() - started) * 1000)
                layers.requests += 1
        self.stdout.write(f"\n## {title} — {path}  (median {statistics.median(walls):.2f} ms, {len(walls)} requests)")
        self.stdout.write("| layer | ms per request |\n|---|---|")
        for name, ms in sorted(layers.per_request_ms().items(), key=lambda item: -item[1]):
            self.stdout.write(f"| {name} | {ms:.2f} |")

    def _cpu_table(self, pages, options):
        # CPU time of this process only: the database server's work (another process) and the time spent
        # waiting for it or for a busy machine's cores are not counted; Python and template work is.
        self.stdout.write(
            "| page | CPU ms per request (median of 5 batches) | min batch | wall ms median | Python calls | SQL |"
        )
        self.stdout.write("|---|---|---|---|---|---|")
        for title, user, path, headers in pages:
            get = self._client(user, path, headers)
            for _ in range(options["warmup"]):
                assert get().status_code == 200, (title, path)
            batches, walls = [], []
            per_batch = max(options["requests"] // 5, 1)
            for _ in range(5):
                started_cpu = time.process_time()
                for _ in range(per_batch):
                    started = time.perf_counter()
                    get()
                    walls.append((time.perf_counter() - started) * 1000)
                batches.append((time.process_time() - started_cpu) * 1000 / per_batch)
            # Deterministic companions of the CPU figure (the same on a busy machine as on an idle one): Python
            # function calls per request (cProfile's count, in an untimed pass) and SQL statements per request.
            profiler = cProfile.Profile()
            with CaptureQueriesContext(connection) as queries:
                profiler.enable()
                get()
                profiler.disable()
            calls = sum(row[1] for row in pstats.Stats(profiler).stats.values())
            self.stdout.write(
                f"| {title} | {statistics.median(batches):.2f} | {min(batches):.2f} | {statistics.median(walls):.2f} "
                f"| {calls:,} | {len(queries)} |"
            )

    def _pyinstrument(self, title, user, path, headers, out: Path):
        from pyinstrument import Profiler

        get = self._client(user, path, headers)
        get()
        profiler = Profiler()
        with profiler:
            get()
        out.mkdir(parents=True, exist_ok=True)
        slug = "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())
        (out / f"{slug}.txt").write_text(profiler.output_text(unicode=True))
