"""The built-in sentiment analysers (lexicon and trained model) on English and French examples, and the seam."""

import pytest

from incidents.listening import sentiment

ANALYSERS = ["incidents.listening.sentiment.LexiconAnalyser", "incidents.listening.sentiment_model.LinearModelAnalyser"]


@pytest.fixture(params=ANALYSERS, ids=["lexicon", "model"])
def each_analyser(request, settings):
    """Both built-in analysers must read these plain examples right, whichever is the default."""
    settings.MENTION_SENTIMENT_ANALYSER = request.param
    sentiment.get_analyser.cache_clear()
    yield request.param
    sentiment.get_analyser.cache_clear()


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("This blender is dangerous, my jar cracked. Worst brand ever!", "en", "negative"),
        ("Thanks for the quick refund, great service", "en", "positive"),
        ("The product is not good at all", "en", "negative"),
        ("Honestly not bad", "en", "positive"),
        ("New store opening on Monday", "en", "neutral"),
        ("Honte à cette marque, c'est inadmissible !", "fr", "negative"),
        ("Merci pour la réponse rapide, service au top", "fr", "positive"),
        ("Ce n'est pas bon du tout", "fr", "negative"),
        ("Ce n'est pas mal", "fr", "positive"),
        ("Le magasin ouvre lundi", "fr", "neutral"),
        # No language given: guessed from the commonest words.
        ("Je suis très déçu, c'est une arnaque", "", "negative"),
        ("I am so happy with the fix, thank you", "", "positive"),
    ],
)
def test_builtin_labels(each_analyser, text, language, label):
    score, got, source = sentiment.analyse(text, language)
    assert (got, source) == (label, "builtin")
    assert -1 <= score <= 1


def test_intensifier_strengthens():
    plain = sentiment.LexiconAnalyser().score("bad service", "en")
    strong = sentiment.LexiconAnalyser().score("very bad service", "en")
    assert strong < plain < 0


def test_supplied_score_wins():
    assert sentiment.analyse("Worst brand ever", "en", supplied=0.5) == (0.5, "positive", "supplied")


def test_empty_text_has_no_score(each_analyser):
    assert sentiment.analyse("", "en") == (None, "neutral", "builtin")


class AlwaysNegative:
    def score(self, text, language=""):
        return -0.9


def test_analyser_is_pluggable(settings):
    settings.MENTION_SENTIMENT_ANALYSER = "incidents.listening.tests.test_sentiment.AlwaysNegative"
    sentiment.get_analyser.cache_clear()
    try:
        assert sentiment.analyse("I love it", "en") == (-0.9, "negative", "builtin")
    finally:
        sentiment.get_analyser.cache_clear()


@pytest.mark.parametrize(
    "text",
    [
        "Acme ne répond pas, service client nul",
        "Acme ne répond pas. Service client nul",
        "Ils ne rappellent jamais ; service lamentable",
        "Pas de réponse ! Service nul",
    ],
)
def test_french_negation_stops_at_punctuation(each_analyser, text):
    score, label, _ = sentiment.analyse(text, "fr")
    assert label == "negative", score


def test_english_negation_stops_at_punctuation(each_analyser):
    # Without the break, "not" would flip "terrible" and the sentence would read mildly positive.
    score, label, _ = sentiment.analyse("They did not answer, terrible service", "en")
    assert label == "negative", score


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Acme ne répond pas, service client nul", "fr"),
        ("This blender is dangerous, my jar cracked", "en"),
        ("El servicio de atención al cliente es terrible, nunca responden", "es"),
        ("Der Kundendienst ist schrecklich und antwortet nie", "de"),
    ],
)
def test_detect_language(text, code):
    assert sentiment.detect_language(text) == code


def test_detect_language_undetermined():
    assert sentiment.detect_language("") == ""
    assert sentiment.detect_language("!!!") == ""


def test_detector_is_built_once():
    assert sentiment._detector() is sentiment._detector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # "terrible" is in the English lexicon: scored as English, these would read negative.
        ("El servicio es terrible, horrible, una estafa", ""),
        ("El servicio es terrible, horrible, una estafa", "es"),
        ("Der Service ist terrible, einfach horrible", "de"),
    ],
)
def test_other_languages_get_no_score(each_analyser, text, language):
    assert sentiment.analyse(text, language) == (None, "neutral", "builtin")


def test_missing_language_is_detected_before_scoring(each_analyser):
    score, label, _ = sentiment.analyse("Acme ne répond pas, service client nul", "")
    assert label == "negative", score


def test_detection_only_when_language_missing(monkeypatch):
    def boom(text):
        raise AssertionError("detected although the language was given")

    monkeypatch.setattr(sentiment, "detect_language", boom)
    assert sentiment.analyse("terrible service", "en")[1] == "negative"
    assert sentiment.analyse("terrible service", "", supplied=-0.5)[2] == "supplied"


def test_a_batch_detects_languages_in_one_call_exactly_as_one_by_one():
    """parse_batch detects every missing language in one call: same languages and scores as alone."""
    from incidents.listening import parsing

    texts = [
        "Acme ne répond pas, service client nul",
        "The blender jar cracked and support never answered",
        "El servicio de Acme es terrible, nadie contesta",
        "Der Kundendienst von Acme antwortet nie",
        "ok",
    ]
    items = [
        {"platform": "x", "external_id": str(i), "text": text, "posted_at": "2026-11-20T14:00:00+00:00"}
        for i, text in enumerate(texts)
    ]
    batch, errors = parsing.parse_batch(items)
    alone = [parsing.parse_mention(item) for item in items]
    assert errors == []
    assert [(m.language, m.sentiment, m.sentiment_label) for m in batch] == [
        (m.language, m.sentiment, m.sentiment_label) for m in alone
    ]
    assert [m.language for m in batch][:4] == ["fr", "en", "es", "de"]
    assert batch[0].sentiment < 0  # French, scored
    assert batch[2].sentiment is None  # Spanish: detected, not scored
