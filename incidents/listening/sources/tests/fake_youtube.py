"""A fake YouTube Data API v3 for the connector's tests, shaped on the documented payloads.

``FakeYouTube``'s methods are ``FakeServer`` handlers for ``commentThreads`` (listings with the
``replies`` part, and re-reading by ``id``), ``search``, ``comments`` (by ``id``, or a thread's
replies by ``parentId``, paged) and ``videos``; ``thread``, ``reply`` and ``video`` build the
resources they serve.
"""

import time
from datetime import UTC, datetime

NOW = int(time.time()) - 3600
KEY = "AIza-yt-s3cret-key"


def stamp(seconds):
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def thread(n, *, text=None, updated=None, video="vid1"):
    """A commentThread (the fake adds its reply count and inline replies when it serves it)."""
    published = stamp(NOW + 10 * n)
    return {
        "kind": "youtube#commentThread",
        "etag": f"e{n}",
        "id": f"Ugthread{n}",
        "snippet": {
            "channelId": "UCacme",
            "videoId": video,
            "topLevelComment": {
                "kind": "youtube#comment",
                "etag": f"c{n}",
                "id": f"Ugthread{n}",
                "snippet": {
                    "channelId": "UCacme",
                    "videoId": video,
                    "textDisplay": f"Acme comment {n} &amp; more",
                    "textOriginal": text or f"Acme comment {n} & more",
                    "authorDisplayName": f"@viewer{n}",
                    "authorChannelId": {"value": f"UCviewer{n}"},
                    "canRate": True,
                    "viewerRating": "none",
                    "likeCount": n,
                    "publishedAt": published,
                    "updatedAt": stamp(updated) if updated else published,
                },
            },
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }


def reply(thread_n, n, *, text=None, updated=None, video="vid1"):
    """A reply (a comment resource with a parentId), as commentThreads' replies part and comments.list carry it."""
    published = stamp(NOW + 10 * thread_n + n)
    return {
        "kind": "youtube#comment",
        "etag": f"r{thread_n}.{n}",
        "id": f"Ugthread{thread_n}.reply{n}",
        "snippet": {
            "channelId": "UCacme",
            "videoId": video,
            "textDisplay": f"Reply {n} to {thread_n}",
            "textOriginal": text or f"Reply {n} to {thread_n}",
            "parentId": f"Ugthread{thread_n}",
            "authorDisplayName": f"@replier{n}",
            "authorChannelId": {"value": f"UCreplier{n}"},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": published,
            "updatedAt": stamp(updated) if updated else published,
        },
    }


def video(n, title="Acme &amp; the recall", description=None):
    return {
        "kind": "youtube#searchResult",
        "etag": f"v{n}",
        "id": {"kind": "youtube#video", "videoId": f"vid{n}"},
        "snippet": {
            "publishedAt": stamp(NOW + 10 * n),
            "channelId": "UCother",
            "title": title,
            "description": description or f"Video {n}",
            "channelTitle": "News &amp; Co",
            "liveBroadcastContent": "none",
        },
    }


def error(code, reason, message="error"):
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube", "reason": reason}],
        }
    }


def _published(thread):
    # A broken thread (no comment) sorts first, as the newest.
    comment = thread["snippet"].get("topLevelComment") or {"snippet": {"publishedAt": "9999"}}
    return comment["snippet"]["publishedAt"]


class FakeYouTube:
    """commentThreads, search, comments and videos of the Data API v3, paged by pageToken, keyed by ``key``.

    ``replies`` maps a thread id to its replies, oldest first; the live ones are its
    ``totalReplyCount``, the first ``INLINE`` come inline with ``part=snippet,replies``, all of them
    through ``comments.list(parentId=…)``. ``fail`` queues answers for any request, ``fail_replies``
    for ``comments.list(parentId=…)`` only; ``search_lag`` maps a video id to the stale copy its
    search result keeps serving.
    """

    INLINE = 5

    def __init__(self, threads, videos=()):
        self.threads = threads
        self.videos = list(videos)
        self.replies = {}
        self.search_lag = {}
        self.by_id = True  # False: a stand-in without re-reading by id (404)
        self.fail = []
        self.fail_replies = []

    def _refusal(self, request):
        if self.fail:
            return self.fail.pop(0)
        if request["query"].get("key") != KEY:
            return 400, {}, error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        return None

    def _page(self, entries, request, kind, id_of):
        q = request["query"]
        if "pageToken" in q:
            # Our tokens name the last entry served: later arrivals do not shift the pages.
            ids = [id_of(e) for e in entries]
            last = q["pageToken"].removeprefix("after:")
            if last not in ids:
                return 400, {}, error(400, "invalidPageToken", "The pageToken parameter is invalid.")
            entries = entries[ids.index(last) + 1 :]
        limit = int(q.get("maxResults", 20))
        page = entries[:limit]
        body = {"kind": kind, "etag": "x", "pageInfo": {"totalResults": len(entries), "resultsPerPage": limit}}
        if len(entries) > limit:
            body["nextPageToken"] = "after:" + id_of(page[-1])
        return 200, {}, {**body, "items": page}

    def live_replies(self, thread_id):
        return [r for r in self.replies.get(thread_id, []) if not r.get("deleted")]

    def _served(self, thread, part):
        # What the API serves of a thread: its reply count now, and with the replies part, the first few.
        live = self.live_replies(thread["id"])
        served = {**thread, "snippet": {**thread["snippet"], "totalReplyCount": len(live)}}
        if "replies" in part.split(",") and live:
            served["replies"] = {"comments": live[: self.INLINE]}
        return served

    def comment_threads(self, request):
        if refusal := self._refusal(request):
            return refusal
        q = request["query"]
        assert q["part"] in ("snippet", "snippet,replies") and q["textFormat"] == "plainText"
        live = [t for t in self.threads if not t.get("deleted")]
        if "id" in q and not self.by_id:
            return 404, {}, error(404, "notFound")
        if "id" in q:
            # Re-reading by id: no order, no paging (maxResults is not allowed with id).
            assert "maxResults" not in q and "pageToken" not in q
            wanted = q["id"].split(",")
            found = [self._served(t, q["part"]) for t in live if t["id"] in wanted]
            return 200, {}, {"kind": "youtube#commentThreadListResponse", "items": found}
        assert q["order"] == "time"
        if "videoId" in q:
            live = [t for t in live if t["snippet"]["videoId"] == q["videoId"]]
        ordered = [self._served(t, q["part"]) for t in sorted(live, key=_published, reverse=True)]
        return self._page(ordered, request, "youtube#commentThreadListResponse", lambda t: t["id"])

    def search(self, request):
        if refusal := self._refusal(request):
            return refusal
        q = request["query"]
        assert (q["type"], q["order"], q["part"]) == ("video", "date", "snippet")
        found = [v for v in self.videos if q["q"].lower() in v["snippet"]["title"].lower() and not v.get("deleted")]
        if "publishedAfter" in q:
            found = [v for v in found if v["snippet"]["publishedAt"] > q["publishedAfter"]]
        ordered = sorted(found, key=lambda v: v["snippet"]["publishedAt"], reverse=True)
        ordered = [self.search_lag.get(v["id"]["videoId"], v) for v in ordered]
        return self._page(ordered, request, "youtube#searchListResponse", lambda v: v["id"]["videoId"])

    def comments(self, request):
        q = request["query"]
        if "parentId" in q:
            if self.fail_replies:
                return self.fail_replies.pop(0)
            if refusal := self._refusal(request):
                return refusal
            assert (q["part"], q["textFormat"]) == ("snippet", "plainText") and "id" not in q
            assert 1 <= int(q["maxResults"]) <= 100
            replies = self.live_replies(q["parentId"])
            return self._page(replies, request, "youtube#commentListResponse", lambda r: r["id"])
        if refusal := self._refusal(request):
            return refusal
        wanted = q["id"].split(",")
        every = [t["snippet"]["topLevelComment"] for t in self.threads if not t.get("deleted")]
        every += [r for t in self.threads if not t.get("deleted") for r in self.live_replies(t["id"])]
        found = [c for c in every if c["id"] in wanted]
        return 200, {}, {"kind": "youtube#commentListResponse", "items": found}

    def videos_list(self, request):
        if refusal := self._refusal(request):
            return refusal
        q = request["query"]
        assert q["part"] == "snippet"
        wanted = q["id"].split(",")
        found = [
            {
                "kind": "youtube#video",
                "etag": "v",
                "id": v["id"]["videoId"],
                "snippet": {**v["snippet"], "tags": ["acme"], "categoryId": "25"},
            }
            for v in self.videos
            if v["id"]["videoId"] in wanted and not v.get("deleted")
        ]
        return 200, {}, {"kind": "youtube#videoListResponse", "items": found}
