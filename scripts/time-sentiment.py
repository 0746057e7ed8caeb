"""Time ``parse + score`` of 1,000 typical mentions, with and without language detection.

Run: ``DJANGO_DEBUG=1 .venv/bin/python scripts/time-sentiment.py``.
No database is touched: this is the per-mention cost that bulk ingest pays before its insert.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

import django  # noqa: E402

django.setup()

from incidents.listening import parsing, sentiment  # noqa: E402

TEXTS = [
    "Acme blender number {n} cracked, dangerous! Worst brand ever",
    "Acme ne répond pas, service client nul, mon blender {n} a explosé",
    "Thanks @Acme for the quick refund on order {n}, great service",
    "Merci Acme pour la réponse rapide, commande {n} remboursée",
    "El servicio de Acme es terrible, pedido {n} sin respuesta",
    "Der Acme Mixer {n} ist kaputt und der Kundendienst antwortet nie",
]


def batch(n, language):
    return [
        {
            "platform": "x",
            "external_id": f"t-{i}",
            "text": TEXTS[i % len(TEXTS)].format(n=i),
            "posted_at": "2026-11-20T10:00:00Z",
            "language": language,
        }
        for i in range(n)
    ]


def run(label, items):
    start = time.perf_counter()
    mentions, errors = parsing.parse_batch(items)
    elapsed = time.perf_counter() - start
    assert not errors and len(mentions) == len(items)
    print(
        f"{label}: {len(items):,} mentions parsed and scored in {elapsed * 1000:.0f} ms ({elapsed / len(items) * 1e6:.0f} µs each)"
    )


t = time.perf_counter()
sentiment._detector()
sentiment.detect_language("warm up the models")
print(f"detector built and models loaded once per process: {(time.perf_counter() - t) * 1000:.0f} ms")
run("language given (no detection)", batch(1000, "en"))
run("language missing (detected)  ", batch(1000, ""))
