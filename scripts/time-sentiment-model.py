"""Time ``LinearModelAnalyser.score_many`` on 1,000 corpus posts (best of 5, ``time.perf_counter``).

Run: ``DJANGO_DEBUG=1 .venv/bin/python scripts/time-sentiment-model.py``.
The posts are the evaluation corpus, then training posts up to 1,000: all distinct, so the whole-text cache
(cleared before every run anyway) never answers; the per-word caches are warm after the first run.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

import django  # noqa: E402

django.setup()

from incidents.listening import sentiment_model  # noqa: E402
from incidents.listening.sentiment_eval import read_corpus  # noqa: E402

DATA = sentiment_model.MODEL_PATH.parent
rows = (read_corpus(str(DATA / "eval.csv")) + read_corpus(str(DATA / "train.csv")))[:1000]
texts, languages = [r["text"] for r in rows], [r["language"] for r in rows]
analyser = sentiment_model.LinearModelAnalyser()
sentiment_model.load_model()


def clear_text_cache():
    for name in ("clear_text_cache",):
        getattr(sentiment_model, name, lambda: None)()


def best_of(fn, runs=5):
    times = []
    for _ in range(runs):
        clear_text_cache()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, times[0] * 1000


def reference():
    model = sentiment_model.load_model()["languages"]
    return [
        sentiment_model.score_from(sentiment_model.probabilities(model[lang], sentiment_model.featurize(text)))
        for text, lang in zip(texts, languages, strict=True)
    ]


def featurize_only():
    for text in texts:
        sentiment_model.featurize(text)


for label, fn in (
    ("score_many", lambda: analyser.score_many(texts, languages)),
    ("reference (featurize + probabilities + score_from)", reference),
    ("featurize only", featurize_only),
    ("tokens only", lambda: [sentiment_model.tokens(t) for t in texts]),
):
    best, first = best_of(fn)
    print(f"{label}: {len(texts):,} posts, best of 5 {best:.1f} ms (first run {first:.1f} ms)")
