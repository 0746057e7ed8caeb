"""Sentiment of a mention: a pluggable analyser; built in, a lexicon scorer here and a trained model.

``settings.MENTION_SENTIMENT_ANALYSER`` names the analyser (a dotted path to a class with
``score(text, language) -> float | None``); the default is the trained English/French model,
``sentiment_model.LinearModelAnalyser``, measured better than this lexicon (docs/sentiment.md). A score supplied by the monitoring tool always wins:
``ingest`` only calls the analyser when none came with the mention.

The built-in scorer is deliberately small and explainable: a lexicon of crisis-relevant words
(weights −3…+3), negation that flips the next words (``not``, ``ne … pas``…), intensifiers, and a
normalisation to −1…+1. It is tested on English and French examples (``test_sentiment.py``).

Only English and French are scored. A mention that came without a language is first run through a
language detector (``lingua``, restricted to a few European languages, built once per process);
text in any other language gets **no score** (``None``, label "neutral") rather than a wrong one
from the English lexicon. A negation's scope ends at punctuation (``, . ; : ! ?``), so
"ne répond pas, service client nul" stays negative.
"""

import math
import re
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_ANALYSER = "incidents.listening.sentiment_model.LinearModelAnalyser"
NEGATIVE_THRESHOLD = -0.25
POSITIVE_THRESHOLD = 0.25

EN_LEXICON = {
    # negative
    "angry": -2,
    "awful": -3,
    "bad": -2,
    "boycott": -3,
    "broken": -2,
    "cheated": -3,
    "complaint": -2,
    "crack": -2,
    "cracked": -2,
    "dangerous": -3,
    "dead": -2,
    "defective": -2,
    "disappointed": -2,
    "disappointing": -2,
    "disaster": -3,
    "disgusting": -3,
    "down": -1,
    "exploded": -3,
    "fail": -2,
    "failed": -2,
    "failure": -2,
    "fake": -2,
    "fraud": -3,
    "furious": -3,
    "garbage": -3,
    "hate": -3,
    "horrible": -3,
    "hurt": -2,
    "injured": -3,
    "lie": -2,
    "lied": -3,
    "lies": -2,
    "liar": -3,
    "outage": -2,
    "never": -1,
    "poor": -2,
    "refund": -1,
    "ridiculous": -2,
    "rude": -2,
    "scam": -3,
    "scandal": -3,
    "shame": -2,
    "shameful": -3,
    "sick": -2,
    "terrible": -3,
    "toxic": -3,
    "unacceptable": -3,
    "unsafe": -3,
    "upset": -2,
    "useless": -2,
    "worse": -2,
    "worst": -3,
    "wrong": -2,
    "leak": -2,
    "leaked": -2,
    "breach": -2,
    "recall": -1,
    "sue": -2,
    "lawsuit": -2,
    "problem": -1,
    "issue": -1,
    "waiting": -1,
    # positive
    "amazing": 3,
    "awesome": 3,
    "best": 3,
    "excellent": 3,
    "fantastic": 3,
    "fast": 1,
    "fixed": 2,
    "glad": 2,
    "good": 2,
    "great": 3,
    "happy": 2,
    "helpful": 2,
    "love": 3,
    "loved": 3,
    "nice": 2,
    "perfect": 3,
    "quick": 1,
    "recommend": 2,
    "resolved": 2,
    "thank": 2,
    "thanks": 2,
    "transparent": 2,
    "well": 1,
    "wonderful": 3,
    "works": 1,
    "apology": 1,
    "sorry": 0,
}

FR_LEXICON = {
    # négatif
    "arnaque": -3,
    "arnaqué": -3,
    "boycott": -3,
    "boycotter": -3,
    "cassé": -2,
    "cassée": -2,
    "catastrophe": -3,
    "colère": -2,
    "danger": -3,
    "dangereux": -3,
    "dangereuse": -3,
    "décevant": -2,
    "déçu": -2,
    "déçue": -2,
    "défectueux": -2,
    "dégoûtant": -3,
    "dégueulasse": -3,
    "désastre": -3,
    "escroquerie": -3,
    "faux": -2,
    "fissuré": -2,
    "fuite": -2,
    "furieux": -3,
    "honte": -3,
    "honteux": -3,
    "horrible": -3,
    "inacceptable": -3,
    "inadmissible": -3,
    "lamentable": -3,
    "mal": -2,
    "malade": -2,
    "mauvais": -2,
    "mauvaise": -2,
    "mensonge": -3,
    "menteur": -3,
    "menteurs": -3,
    "mépris": -2,
    "nul": -2,
    "nulle": -2,
    "panne": -2,
    "pire": -3,
    "plainte": -2,
    "problème": -1,
    "rappel": -1,
    "remboursement": -1,
    "scandale": -3,
    "scandaleux": -3,
    "toxique": -3,
    "triste": -2,
    "blessé": -3,
    "blessée": -3,
    "explosé": -3,
    "attente": -1,
    "inutile": -2,
    "grave": -2,
    "fraude": -3,
    # positif
    "bien": 2,
    "bon": 2,
    "bonne": 2,
    "bravo": 3,
    "content": 2,
    "contente": 2,
    "efficace": 2,
    "excellent": 3,
    "excellente": 3,
    "génial": 3,
    "géniale": 3,
    "merci": 2,
    "parfait": 3,
    "parfaite": 3,
    "rapide": 1,
    "recommande": 2,
    "réglé": 2,
    "résolu": 2,
    "satisfait": 2,
    "satisfaite": 2,
    "super": 3,
    "top": 2,
    "transparent": 2,
    "aime": 2,
    "adore": 3,
    "excuses": 1,
}

EN_NEGATIONS = {
    "not",
    "no",
    "never",
    "dont",
    "don't",
    "doesnt",
    "doesn't",
    "didnt",
    "didn't",
    "isnt",
    "isn't",
    "wasnt",
    "wasn't",
    "cant",
    "can't",
    "cannot",
    "wont",
    "won't",
    "nothing",
    "without",
}
FR_NEGATIONS = {"ne", "n", "pas", "jamais", "plus", "aucun", "aucune", "rien", "sans", "ni"}
INTENSIFIERS = {
    "very": 1.5,
    "really": 1.4,
    "so": 1.3,
    "extremely": 1.8,
    "totally": 1.5,
    "très": 1.5,
    "vraiment": 1.4,
    "tellement": 1.5,
    "trop": 1.3,
    "totalement": 1.5,
}

# Tell English from French when the source did not say, by their commonest words.
EN_MARKERS = {"the", "and", "is", "it", "this", "my", "you", "of", "to", "was", "for", "with", "not"}
FR_MARKERS = {
    "le",
    "la",
    "les",
    "et",
    "est",
    "un",
    "une",
    "des",
    "du",
    "je",
    "ce",
    "pas",
    "mon",
    "ma",
    "pour",
    "avec",
    "vous",
    "c",
    "j",
    "n",
    "d",
    "l",
    "qu",
}

# Words, and the punctuation that closes a negation's scope (kept as tokens of their own).
WORD_RE = re.compile(r"[\w']+|[,.;:!?…]", re.UNICODE)
SCOPE_BREAKS = frozenset(",.;:!?…")
SCORED_LANGUAGES = ("en", "fr")
# The languages the detector chooses among: a short list keeps it fast and its guesses sharp.
DETECTABLE_LANGUAGES = ("ENGLISH", "FRENCH", "SPANISH", "GERMAN", "ITALIAN", "DUTCH", "PORTUGUESE")
# How many following words a negation flips.
NEGATION_SCOPE = 3


def tokenize(text: str) -> list[str]:
    # French elisions (l', d', n', j', qu') split off so "n'est" gives "n" + "est".
    return [w for w in WORD_RE.findall(text.lower().replace("’", "'").replace("'", "' ")) if w]


@lru_cache(maxsize=1)
def _detector():
    """The language detector, built once per process (its models load lazily, on first use)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in DETECTABLE_LANGUAGES]
    # A minimum distance makes it answer "don't know" on text too short to tell ("ok", "lol").
    builder = LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(0.1)
    # Low accuracy mode (trigrams only) is the default: measured here it holds +16 MB per process instead
    # of +199 MB and detects 1,000 posts in 48 ms instead of 115 ms — every web and worker process
    # carries the detector. MENTION_LANGUAGE_DETECTION = "high" uses every n-gram model.
    if getattr(settings, "MENTION_LANGUAGE_DETECTION", "low") != "high":
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def detect_languages(texts: list[str]) -> list[str]:
    """``detect_language`` of each text, the detector built once for the batch.

    One text after another on this thread, not lingua's ``detect_languages_in_parallel_of``: its
    thread pool answers a 200-mention batch sooner (6–7 ms against 9) but spends 12–13 ms of CPU on
    it against 9 (measured here). Bulk ingest is several clients at once on busy cores, where the
    CPU is what limits the mentions per second.
    """
    detector = _detector()
    codes = []
    for text in texts:
        language = detector.detect_language_of(text) if text and WORD_RE.search(text) else None
        codes.append(language.iso_code_639_1.name.lower() if language is not None else "")
    return codes


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, or ``""`` when it cannot be told."""
    if not text or not WORD_RE.search(text):
        return ""
    found = _detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else ""


def guess_language(tokens: list[str]) -> str:
    stripped = [t.rstrip("'") for t in tokens]
    en = sum(t in EN_MARKERS for t in stripped)
    fr = sum(t in FR_MARKERS for t in stripped)
    return "fr" if fr > en else "en"


class LexiconAnalyser:
    """The built-in English/French scorer: lexicon, negation, intensifiers; −1 (hostile) … +1 (warm)."""

    lexicons = {"en": EN_LEXICON, "fr": FR_LEXICON}
    negations = {"en": EN_NEGATIONS, "fr": FR_NEGATIONS}

    def score_many(self, texts: list[str], languages: list[str]) -> list[float | None]:
        """One score per text (same as ``score`` each); bulk ingest calls this once per batch."""
        return [self.score(text, language) for text, language in zip(texts, languages, strict=True)]

    def score(self, text: str, language: str = "") -> float | None:
        tokens = tokenize(text or "")
        if not any(t not in SCOPE_BREAKS for t in tokens):
            return None
        lang = (language or "").lower()[:2]
        if not lang:
            # Undetermined (the detector could not tell): the commonest words decide, en or fr.
            lang = guess_language(tokens)
        if lang not in self.lexicons:
            # Spanish, German…: no lexicon, so no score rather than the English one's guess.
            return None
        lexicon, negations = self.lexicons[lang], self.negations[lang]
        total = 0.0
        negate_left = 0
        boost = 1.0
        for raw in tokens:
            if raw in SCOPE_BREAKS:
                # "ne répond pas, service nul": the negation does not reach past the comma.
                negate_left = 0
                boost = 1.0
                continue
            token = raw.rstrip("'")
            if token in negations:
                negate_left = NEGATION_SCOPE
                continue
            if token in INTENSIFIERS:
                boost = INTENSIFIERS[token]
                continue
            weight = lexicon.get(token)
            if weight is None and token.startswith("#"):
                weight = lexicon.get(token[1:])
            if weight:
                value = weight * boost
                if negate_left:
                    # "not good" is mildly negative, "not bad" mildly positive (as VADER does).
                    value = -value * 0.75
                total += value
            boost = 1.0
            if negate_left:
                negate_left -= 1
        if total == 0:
            return 0.0
        # VADER's normalisation: saturates smoothly towards ±1.
        return round(total / math.sqrt(total * total + 15), 4)


def score_many(analyser, texts: list[str], languages: list[str]) -> list[float | None]:
    """Batch scores from any analyser: its own ``score_many`` when it has one, else ``score`` in a loop."""
    many = getattr(analyser, "score_many", None)
    if many is not None:
        return list(many(texts, languages))
    return [analyser.score(text, language) for text, language in zip(texts, languages, strict=True)]


def label_for(score: float | None) -> str:
    if score is None:
        return "neutral"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    return "neutral"


@lru_cache(maxsize=1)
def get_analyser():
    """The configured analyser (``MENTION_SENTIMENT_ANALYSER``), the trained model by default."""
    path = getattr(settings, "MENTION_SENTIMENT_ANALYSER", "") or DEFAULT_ANALYSER
    return import_string(path)()


def analyse(
    text: str, language: str = "", supplied: float | None = None, *, detect: bool = True
) -> tuple[float | None, str, str]:
    """``(score, label, source)`` for a mention; the monitoring tool's own score wins when given.

    Without a language, the detector names one first (only then: detection costs time at ingest);
    ``detect=False`` when the caller already tried.
    """
    if supplied is not None:
        return supplied, label_for(supplied), "supplied"
    if not language and detect:
        language = detect_language(text)
    score = get_analyser().score(text, language)
    return score, label_for(score), "builtin"
