"""``manage.py listen``: run every enabled stream source (Bluesky Jetstream) until SIGTERM."""

import logging
import signal
import threading

from django.core.management.base import BaseCommand

from incidents.listening.sources import stream


class Command(BaseCommand):
    help = "Run every enabled stream source (one process per deployment; supervise it, e.g. with systemd)."

    def add_arguments(self, parser):
        parser.add_argument("--heartbeat-seconds", type=float, default=30.0)

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        stop = threading.Event()

        def on_signal(signum, frame):
            # Clean stop: each stream records its last batch (and cursor) before closing.
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        stats = stream.StreamStats()
        stream.run_all(stop=stop, stats=stats, heartbeat_seconds=options["heartbeat_seconds"])
        self.stdout.write(f"listen stopped: {stats.events} events, {stats.matched} matched")
