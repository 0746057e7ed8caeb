"""Hacker News through the public Algolia search API (``/api/v1/search_by_date``).

Documented at https://hn.algolia.com/api: ``GET {base_url}/api/v1/search_by_date?query=…&tags=(story,comment)
&numericFilters=created_at_i>X&hitsPerPage=N&page=P``; the answer holds ``hits`` (newest first, each
with ``objectID``, ``created_at``, ``created_at_i``, ``author``, ``title``/``story_text`` or
``comment_text``, ``points``, ``url``), ``page`` and ``nbPages``.

Cursor, per query: ``since`` (the newest ``created_at_i`` fully stored) and, while a window is
being paged, ``top`` (its frozen upper bound) and ``page``: pages of a window bounded above do not
shift when new items arrive, so a restart resumes at the same page. Each window reaches back
``overlap_seconds`` before ``since`` (Algolia indexes with a delay); the replayed items are
absorbed by the idempotent ingest.
"""

import html
import re
import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening.sources.connectors.base import BadPayload, Connector, PollResult, register, source_http
from incidents.listening.sources.models import SourceKind

_TAGS = re.compile(r"<[^>]+>")


def strip_html(value: str) -> str:
    return html.unescape(_TAGS.sub(" ", value or "")).strip()


def source_queries(source) -> list[str]:
    """The configured queries, or the source's active watch terms."""
    queries = [q for q in (source.config or {}).get("queries", []) if isinstance(q, str) and q.strip()]
    if not queries and source.pk:
        queries = list(source.watch_terms.filter(active=True).values_list("term", flat=True))
    return sorted({q.strip() for q in queries})


@register
class HackerNewsConnector(Connector):
    kind = SourceKind.HACKERNEWS
    platform = "hackernews"
    default_config = {
        "base_url": "https://hn.algolia.com",
        "queries": [],
        "tags": "(story,comment)",
        "hits_per_page": 100,
        "lookback_hours": 24,
        "overlap_seconds": 300,
    }

    def clean_config(self, config: dict) -> dict:
        config = super().clean_config(config)
        if not isinstance(config["queries"], list) or not all(isinstance(q, str) for q in config["queries"]):
            raise ValidationError({"config": _("“queries” must be a list of strings.")})
        if not str(config["base_url"]).startswith(("http://", "https://")):
            raise ValidationError({"config": _("“base_url” must be an http(s) URL.")})
        return config

    def poll(self, source, cursor: dict) -> PollResult:
        config = self.clean_config(source.config)
        http = source_http(source)
        url = config["base_url"].rstrip("/") + "/api/v1/search_by_date"
        per_query = dict(cursor.get("queries") or {})
        now = int(time.time())
        items, more = [], False
        for query in source_queries(source):
            state = dict(per_query.get(query) or {"since": now - int(config["lookback_hours"]) * 3600})
            since = int(state["since"])
            top = int(state.get("top") or now)
            page = int(state.get("page") or 0)
            low = max(0, since - int(config["overlap_seconds"]))
            body = http.get_json(
                url,
                params={
                    "query": query,
                    "tags": config["tags"],
                    "numericFilters": f"created_at_i>{low},created_at_i<={top}",
                    "hitsPerPage": int(config["hits_per_page"]),
                    "page": page,
                },
            )
            hits, nb_pages = _page(body)
            items.extend(item for item in (self.to_item(hit) for hit in hits) if item is not None)
            if page + 1 < nb_pages:
                state.update(top=top, page=page + 1)
                more = True
            else:
                state = {"since": top}
            per_query[query] = state
        return PollResult(items=items, new_cursor={"queries": per_query}, more=more)

    def to_item(self, hit) -> dict | None:
        if not isinstance(hit, dict) or not hit.get("objectID"):
            return None
        text = " — ".join(
            part
            for part in (
                strip_html(hit.get("title") or ""),
                strip_html(hit.get("story_text") or hit.get("comment_text") or ""),
            )
            if part
        )
        points = hit.get("points")
        return {
            "platform": self.platform,
            "external_id": str(hit["objectID"]),
            "url": f"https://news.ycombinator.com/item?id={hit['objectID']}",
            "author": str(hit.get("author") or "")[:200],
            "audience": points if type(points) is int and points >= 0 else 0,
            "text": text[:20000],
            "posted_at": str(hit.get("created_at") or "").replace("Z", "+00:00"),
            # Algolia reindexes an edited item with a later updated_at.
            "edited_at": (hit.get("updated_at") or "").replace("Z", "+00:00") or None,
        }


def _page(body) -> tuple[list, int]:
    if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
        raise BadPayload("Algolia answer without a “hits” list")
    nb_pages = body.get("nbPages", 1)
    if type(nb_pages) is not int or nb_pages < 0:
        raise BadPayload("Algolia answer with an invalid “nbPages”")
    return body["hits"], nb_pages
