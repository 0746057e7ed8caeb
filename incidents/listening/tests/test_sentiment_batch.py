"""Batch scoring equals single scoring; the HTTP adapter against a real local server."""

import json
import threading

import pytest

from crisisdesk.testing.fakeserver import FakeServer
from incidents.listening.sentiment import LexiconAnalyser, score_many
from incidents.listening.sentiment_http import HTTPAnalyser

TEXTS = ["This is awful, never again", "Thanks, great support!", "The store opens at nine", "c'est nul", ""]
LANGS = ["en", "en", "en", "fr", "en"]


def test_batch_equals_single():
    analyser = LexiconAnalyser()
    assert analyser.score_many(TEXTS, LANGS) == [analyser.score(t, lang) for t, lang in zip(TEXTS, LANGS, strict=True)]


def test_generic_batch_loops_score_for_analysers_without_one():
    class Single:
        def score(self, text, language=""):
            return 0.5 if language == "fr" else -0.5

    assert score_many(Single(), ["a", "b"], ["fr", "en"]) == [0.5, -0.5]


@pytest.fixture
def server():
    state = {"mode": "ok", "requests": []}

    def score(request):
        body = json.loads(request["body"])
        state["requests"].append(body)
        mode = state["mode"]
        if mode == "500":
            return 500, {}, b""
        if mode == "slow":
            threading.Event().wait(1.0)
        if mode == "garbage":
            return 200, {"Content-Type": "application/json"}, b"not json"
        if mode == "short":
            return 200, {}, {"scores": [0.1]}
        return 200, {}, {"scores": [-0.8 if "awful" in t else 0.3 for t in body["texts"]]}

    with FakeServer() as fake:
        fake.route("POST", "/score", score)
        state["url"] = f"{fake.url}/score"
        yield state


def test_http_adapter_posts_texts_and_languages(server):
    analyser = HTTPAnalyser(url=server["url"], timeout=2)
    assert analyser.score_many(["awful", "fine"], ["en", "fr"]) == [-0.8, 0.3]
    assert server["requests"] == [{"texts": ["awful", "fine"], "languages": ["en", "fr"]}]
    assert analyser.score("awful", "en") == -0.8


@pytest.mark.parametrize("mode", ["500", "garbage", "short", "slow"])
def test_http_adapter_gives_none_on_error(server, mode):
    server["mode"] = mode
    analyser = HTTPAnalyser(url=server["url"], timeout=0.3)
    assert analyser.score_many(["awful", "fine"], ["en", "en"]) == [None, None]


def test_http_adapter_refused_connection():
    assert HTTPAnalyser(url="http://127.0.0.1:9/score", timeout=0.5).score_many(["x"], ["en"]) == [None]


def test_http_adapter_refuses_other_schemes(tmp_path):
    assert HTTPAnalyser(url=f"file://{tmp_path}/x", timeout=0.5).score_many(["x"], ["en"]) == [None]
