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

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        stats = stream.StreamStats()
        try:
            stream.run_all(stop=stop, stats=stats, heartbeat_seconds=options["heartbeat_seconds"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"listen stopped: {stats.events} events, {stats.matched} matched")
