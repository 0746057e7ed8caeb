"""The built-in sentiment analyser on English and French examples, and the pluggable seam."""

import pytest

from incidents.listening import sentiment


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
def test_builtin_labels(text, language, label):
    score, got, source = sentiment.analyse(text, language)
    assert (got, source) == (label, "builtin")
    assert -1 <= score <= 1


def test_intensifier_strengthens():
    plain = sentiment.LexiconAnalyser().score("bad service", "en")
    strong = sentiment.LexiconAnalyser().score("very bad service", "en")
    assert strong < plain < 0


def test_supplied_score_wins():
    assert sentiment.analyse("Worst brand ever", "en", supplied=0.5) == (0.5, "positive", "supplied")


def test_empty_text_has_no_score():
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
