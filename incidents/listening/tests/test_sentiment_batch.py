"""Batch scoring equals single scoring; the HTTP adapter against a real local server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

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

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append(body)
            mode = state["mode"]
            if mode == "500":
                self.send_response(500)
                self.end_headers()
                return
            if mode == "slow":
                threading.Event().wait(1.0)
            if mode == "garbage":
                reply = b"not json"
            elif mode == "short":
                reply = json.dumps({"scores": [0.1]}).encode()
            else:
                reply = json.dumps({"scores": [-0.8 if "awful" in t else 0.3 for t in body["texts"]]}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except BrokenPipeError:  # the client gave up (the timeout case)
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/score"
    yield state
    httpd.shutdown()
    httpd.server_close()


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
