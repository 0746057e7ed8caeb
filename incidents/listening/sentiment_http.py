"""An analyser that asks an HTTP inference server the user runs (``MENTION_SENTIMENT_HTTP_URL``).

POST ``{"texts": [...], "languages": [...]}`` → ``{"scores": [float|null, ...]}`` (−1..+1). Any error
(timeout, refused, non-2xx, malformed or wrong-length reply) gives ``None`` scores: ingest never fails on it.
"""

import json
import logging
import math
import urllib.error
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)


class HTTPAnalyser:
    def __init__(self, url: str | None = None, timeout: float | None = None):
        self.url = url or getattr(settings, "MENTION_SENTIMENT_HTTP_URL", "")
        self.timeout = timeout if timeout is not None else getattr(settings, "MENTION_SENTIMENT_HTTP_TIMEOUT", 5.0)

    def score(self, text: str, language: str = "") -> float | None:
        return self.score_many([text], [language])[0]

    def score_many(self, texts: list[str], languages: list[str]) -> list[float | None]:
        nothing = [None] * len(texts)
        if not texts or not self.url.startswith(("http://", "https://")):
            return nothing
        body = json.dumps({"texts": list(texts), "languages": list(languages)}).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                payload = json.loads(response.read(10_000_000))
        except (OSError, ValueError) as exc:
            logger.warning("sentiment server %s failed: %s", self.url, exc)
            return nothing
        scores = payload.get("scores") if isinstance(payload, dict) else None
        if not isinstance(scores, list) or len(scores) != len(texts):
            logger.warning("sentiment server %s sent a malformed reply", self.url)
            return nothing
        return [_clean(s) for s in scores]


def _clean(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return max(-1.0, min(1.0, float(value)))
