"""The trained sentiment model: its tokenizer, pure-Python inference, the shipped corpus and its reproduction."""

import csv
import gzip
import json
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from incidents.listening import sentiment, sentiment_model, sentiment_training
from incidents.listening.sentiment_eval import read_corpus
from incidents.listening.sentiment_model import CLASSES, LinearModelAnalyser, featurize, load_model, tokens

DATA = sentiment_model.MODEL_PATH.parent
EVAL = DATA / "eval.csv"
TRAIN = DATA / "train.csv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # compound hashtags: whole, then split at their capitals
        ("#boycottBrand now", ["#boycottbrand", "boycott", "brand", "now"]),
        (
            "#FailVeltro #NoMoreHTTPErrors",
            ["#failveltro", "fail", "veltro", "#nomorehttperrors", "no", "neg_more", "neg_http", "neg_errors"],
        ),
        # URLs and @mentions dropped
        ("@Lumora see https://lumora.example/status ok", ["see", "ok"]),
        # emoticons as classes, emoji as themselves (skin tone and variation selector dropped)
        ("hung up :( great :-) 👍🏽 ❤️", ["hung", "up", "<emo_neg>", "great", "<emo_pos>", "👍", "❤"]),
        # elongation cut to two letters, shouting marked, ! and ? kept
        ("sooooo BAD!!!", ["soo", "bad", "<caps>", "!+"]),
        # negation marks the next words, up to punctuation
        ("not good, terrible", ["not", "neg_good", "terrible"]),
        ("I don't like it", ["i", "don't", "neg_like", "neg_it"]),
        # French elision and ne … pas
        ("ce n'est pas bon", ["ce", "n", "neg_est", "pas", "neg_bon"]),
        # French "plus" alone and "dont" are no negations
        ("plus rapide que prévu", ["plus", "rapide", "que", "prévu"]),
        ("le colis dont je parle", ["le", "colis", "dont", "je", "parle"]),
        ("2 weeks", ["<num>", "weeks"]),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


def test_features_are_word_bigram_and_char_blocks_of_unit_length():
    features = featurize("not good")
    assert {"w:not", "w:neg_good", "b:not neg_good", "c: g", "c:good ", "c: goo"} <= set(features)
    # the negation mark stays out of the character n-grams
    assert not any(f.startswith("c:") and "neg" in f for f in features)
    for prefix in (("w:", "b:"), ("c:",)):
        assert sum(v * v for f, v in features.items() if f.startswith(prefix)) == pytest.approx(1.0)
    # the lexicon's "good", negated, counts as a negative word; "terrible" as one more
    assert featurize("not good, terrible")["l:neg"] == pytest.approx(2 * sentiment_model.LEXICON_WEIGHT)
    assert "l:pos" not in featurize("not good, terrible")


def test_scores_in_range_and_label_is_the_argmax():
    analyser = LinearModelAnalyser()
    model = load_model()["languages"]
    rows = read_corpus(str(EVAL))
    scores = analyser.score_many([r["text"] for r in rows], [r["language"] for r in rows])
    for row, score in zip(rows, scores, strict=True):
        probs = sentiment_model.probabilities(model[row["language"]], featurize(row["text"]))
        assert -1 <= score <= 1
        assert sentiment.label_for(score) == CLASSES[probs.index(max(probs))], row["text"]


def test_batch_equals_single_and_edge_cases():
    analyser = LinearModelAnalyser()
    texts = ["worst support ever, never again 😡", "Merci, service au top", "The store opens at nine", "", "!!!"]
    languages = ["en", "fr", "en", "en", "en"]
    assert analyser.score_many(texts, languages) == [
        analyser.score(t, lang) for t, lang in zip(texts, languages, strict=True)
    ]
    assert analyser.score("", "en") is None
    assert analyser.score("!!!", "en") is None
    # a named language without a model gets no score; an undetermined one is guessed en/fr
    assert analyser.score("El servicio es terrible", "es") is None
    assert analyser.score("c'est nul, je suis déçu", "") == analyser.score("c'est nul, je suis déçu", "fr")
    assert sentiment.label_for(analyser.score("worst support ever, never again 😡", "en")) == "negative"


def test_weights_load_once_per_process():
    assert load_model() is load_model()


def test_inference_imports_no_numpy_or_sklearn():
    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'crisisdesk.settings'); "
        "django.setup(); "
        "from incidents.listening.sentiment_model import LinearModelAnalyser; "
        "print(LinearModelAnalyser().score('terrible service', 'en')); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'sklearn', 'scipy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    ).stdout.splitlines()
    assert -1 <= float(out[0]) <= 1
    assert out[1] == "[]"


def test_shipped_model_is_small():
    assert sentiment_model.MODEL_PATH.stat().st_size < 1_000_000


def _texts(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return [" ".join(r["text"].lower().split()) for r in csv.DictReader(handle)]


def test_eval_rows_never_in_training():
    train, evaluation = _texts(TRAIN), _texts(EVAL)
    assert not set(train) & set(evaluation)
    ids = [r["id"] for r in read_corpus(str(TRAIN)) + read_corpus(str(EVAL))]
    assert len(ids) == len(set(ids))


def test_training_and_inference_featurize_equally():
    assert sentiment_training.featurize is sentiment_model.featurize
    rows = read_corpus(str(TRAIN))
    for language, model in load_model()["languages"].items():
        seen = set()
        for features in [featurize(r["text"]) for r in rows if r["language"] == language]:
            seen.update(features)
        for features in sentiment_training.lexicon_examples(language)[0]:
            seen.update(features)
        assert set(model["weights"]) <= seen


def test_plain_words_read_right():
    """The lexicon's strong words, learnt as one-word examples, hold even where the corpus never used them."""
    analyser = LinearModelAnalyser()
    cases = [
        ("awful", "en", "negative"),
        ("Worst brand ever", "en", "negative"),
        ("They did not answer, terrible service", "en", "negative"),
        ("Thanks for the quick refund, great service", "en", "positive"),
        ("Ce n'est pas bon du tout", "fr", "negative"),
        ("Je suis très déçu, c'est une arnaque", "fr", "negative"),
        ("Merci pour la réponse rapide, service au top", "fr", "positive"),
    ]
    assert [sentiment.label_for(analyser.score(t, lang)) for t, lang, _ in cases] == [label for *_, label in cases]


def test_shipped_model_is_what_sentiment_train_reproduces():
    """Retrained from the shipped corpus with the shipped seed and C: the same predictions on the eval file."""
    shipped = load_model()
    rows = read_corpus(str(TRAIN))
    for language, model in shipped["languages"].items():
        subset = [r for r in rows if r["language"] == language]
        again = sentiment_training.train(subset, seed=shipped["seed"], c=model["C"], report=lambda line: None)
        rebuilt = again["languages"][language]
        assert set(rebuilt["weights"]) == set(model["weights"])
        assert (
            max(abs(a - b) for f, w in model["weights"].items() for a, b in zip(w, rebuilt["weights"][f], strict=True))
            <= 0.001
        )
        evaluation = [featurize(r["text"]) for r in read_corpus(str(EVAL)) if r["language"] == language]
        assert sentiment_training.predict(rebuilt, evaluation) == sentiment_training.predict(model, evaluation)
        assert again["held_back"][language] == shipped["held_back"][language]


def test_sentiment_train_command_writes_a_loadable_model(tmp_path):
    corpus = tmp_path / "train.csv"
    lines = ["id,language,label,text"]
    words = {"negative": "awful broken scam", "neutral": "store opens monday", "positive": "great fast thanks"}
    for language in ("en", "fr"):
        for label, text in words.items():
            lines += [f"{language}{label}{i},{language},{label},{text} {i}" for i in range(10)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out_path = tmp_path / "model.json.gz"
    out = StringIO()
    call_command("sentiment_train", "--train", str(corpus), "--out", str(out_path), "--seed", "3", stdout=out)
    assert "[en] held-back split: fitted on 24, scored on 6" in out.getvalue()
    with gzip.open(out_path, "rt", encoding="utf-8") as handle:
        assert json.load(handle)["seed"] == 3
    analyser = LinearModelAnalyser(out_path)
    assert sentiment.label_for(analyser.score("awful scam", "en")) == "negative"
    assert sentiment.label_for(analyser.score("great thanks", "fr")) == "positive"


def test_sentiment_train_refuses_evaluation_posts(tmp_path):
    corpus = tmp_path / "train.csv"
    first = read_corpus(str(EVAL))[0]
    corpus.write_text(f'id,language,label,text\nx1,en,negative,"  {first["text"].upper()} "\n', encoding="utf-8")
    with pytest.raises(CommandError, match="1 training post"):
        call_command("sentiment_train", "--train", str(corpus), "--out", str(tmp_path / "m.json.gz"))
    assert not (tmp_path / "m.json.gz").exists()


def test_sentiment_train_bad_corpus_is_a_clear_error(tmp_path):
    corpus = tmp_path / "train.csv"
    corpus.write_text("id,language,label,text\n1,en,angry,bad\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: bad label"):
        call_command("sentiment_train", "--train", str(corpus), "--out", str(tmp_path / "m.json.gz"))


def test_the_model_is_the_default_analyser():
    sentiment.get_analyser.cache_clear()
    try:
        assert isinstance(sentiment.get_analyser(), LinearModelAnalyser)
    finally:
        sentiment.get_analyser.cache_clear()


@pytest.mark.parametrize("path", [EVAL, TRAIN], ids=["eval", "train"])
def test_fast_path_equals_featurize_probabilities_score_from(path):
    """``score_many`` skips ``featurize``'s normalised dict: on every corpus post it returns what the reference
    path (featurize + probabilities + score_from) returns, cold and from its whole-text cache alike."""
    analyser = LinearModelAnalyser()
    models = load_model()["languages"]
    rows = read_corpus(str(path))
    texts, languages = [r["text"] for r in rows], [r["language"] for r in rows]
    reference = [
        sentiment_model.score_from(sentiment_model.probabilities(models[lang], featurize(text)))
        for text, lang in zip(texts, languages, strict=True)
    ]
    sentiment_model.clear_text_cache()
    assert analyser.score_many(texts, languages) == reference
    assert analyser.score_many(texts, languages) == reference
    assert analyser.reference_score_many(texts, languages) == reference


def test_fast_path_edge_cases_equal_the_reference():
    analyser = LinearModelAnalyser()
    texts = ["", "!!! ???", "<3 <3 :(", "aaaa aaaa banana banana", "not not not good good", "#NoMoreErrors 2 2", "🙄"]
    for language in ("en", "fr", "", "es"):
        languages = [language] * len(texts)
        assert analyser.score_many(texts, languages) == analyser.reference_score_many(texts, languages)
