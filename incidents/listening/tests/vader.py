"""VADER as an analyser, for comparison only (``sentiment_eval --analyser``); dev dependencies, never runtime.

English: vaderSentiment; French: vadersentiment-fr. Both give a ``compound`` in −1..+1, labelled with VADER's
own cut-offs (±0.05): the score is moved into the band ``label_for`` reads the same way.
"""

from incidents.listening.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD

VADER_CUTOFF = 0.05


class VaderAnalyser:
    def __init__(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as English
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer as French

        self.analysers = {"en": English(), "fr": French()}

    def score(self, text: str, language: str = "") -> float | None:
        analyser = self.analysers.get((language or "en").lower()[:2])
        if analyser is None or not (text or "").strip():
            return None
        compound = analyser.polarity_scores(text)["compound"]
        if compound >= VADER_CUTOFF:
            return max(compound, POSITIVE_THRESHOLD)
        if compound <= -VADER_CUTOFF:
            return min(compound, NEGATIVE_THRESHOLD)
        return compound
