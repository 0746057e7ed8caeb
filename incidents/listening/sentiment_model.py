"""A trained sentiment model: one multinomial logistic regression per language, pure-Python inference.

The weights live in ``sentiment_data/model.json.gz`` (written by ``manage.py sentiment_train``, see
``sentiment_training.py``) and are loaded once per process, on first use. Inference needs nothing but the
standard library: ``featurize`` turns a post into sparse features (word 1–2-grams over our own tokens,
character 2–5-grams inside word boundaries), the language's weights give three probabilities, and the score
is P(positive) − P(negative), nudged into the band of the most probable class so that ``label_for`` gives
exactly the model's argmax. Training uses the very same ``featurize``; ``score_many`` takes a faster road
to the same scores (``_FastModel``), checked against ``reference_score_many`` on both corpora.
"""

import gzip
import json
import math
import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import itemgetter, mul
from pathlib import Path

from incidents.listening.sentiment import (
    EN_LEXICON,
    FR_LEXICON,
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    guess_language,
    tokenize,
)

MODEL_PATH = Path(__file__).resolve().parent / "sentiment_data" / "model.json.gz"
CLASSES = ("negative", "neutral", "positive")
CHAR_NGRAMS = (2, 5)
# The built-in lexicon's words as two features (polarity flipped in a negation's scope): they carry what the
# training corpus may lack, words it never saw. Their weight per occurrence, next to unit-length blocks:
LEXICON_WEIGHT = 0.3
LEXICON = {word: weight for word, weight in {**EN_LEXICON, **FR_LEXICON}.items() if weight}
# How many tokens after a negation carry its mark ("not good" → not, neg_good); punctuation ends it sooner.
NEGATION_SCOPE = 3

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@\w+")
_EMOTICON = (
    r"(?<![\w])(?:"
    r"[:;=8xX][-o^']?[)(\]\[dDpP/\\|*3oO]+"  # :) :-( ;P :/ xD =]
    r"|[)(\]\[/\\][-o^']?[:;=]"  # (: ): reversed
    r"|:'\(|</3|<3+|\^\^|\^_\^|-_-|T_T|>_<|o_O|O_o"
    r")(?![\w])"
)
EMOTICON_NEGATIVE = re.compile(r"^(?::'\(|</3|-_-|T_T|>_<|[:;=8][-o^']?[(\[/\\|]+|[)\]/\\][-o^']?[:;=])$")
EMOTICON_POSITIVE = re.compile(r"^(?:<3+|\^\^|\^_\^|[:;=8xX][-o^']?[)\]dDpP3*]+|[(\[][-o^']?[:;=])$")
# One regular expression reads a post left to right: emoticon, hashtag, word, number, emoji, ! or ?, break.
TOKEN_RE = re.compile(
    rf"(?P<emoticon>{_EMOTICON})"
    r"|(?P<hashtag>#\w+)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*'?)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<emoji>[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u3030\u303D])"
    r"|(?P<shout>[!?]+)"
    r"|(?P<stop>[.,;:…()\"«»\n])"
)
# Emoji modifiers that carry no sentiment of their own: variation selector, joiner, skin tones.
EMOJI_NOISE_RE = re.compile("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")
ELONGATION_RE = re.compile(r"(\w)\1{2,}")
ELISION_RE = re.compile(r"^(l|d|n|j|m|t|s|c|qu|jusqu|lorsqu|puisqu)'(.+)$")
# English and French negations (one tokenizer for both). French "plus" is not one on its own: "ne … plus"
# is already marked by "ne", and "plus rapide que prévu" must stay positive.
NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nor",
        "neither",
        "without",
        "cannot",
        "ne",
        "n",
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "sans",
        "ni",
    }
)


_CONTRACTIONS = frozenset(
    f"{stem}{end}"
    for stem in ("do", "does", "did", "is", "was", "are", "were", "ca", "wo", "have", "has", "had", "should")
    + ("would", "could", "ai", "must", "need")
    for end in ("n't", "nt")
) | {"can't", "cant", "won't", "wont"}


def _negation(word: str) -> bool:
    # French "dont" (of which) is no negation; English "don't" is.
    return word in NEGATIONS or (word in _CONTRACTIONS and word != "dont")


@lru_cache(maxsize=65536)
def _word_pieces(raw: str) -> tuple[tuple[str, bool], ...]:
    """One word as tokens before negation marks: lowercase, elongation cut, a French elision split, and
    whether each piece is a negation (words recur: cached per process)."""
    w = ELONGATION_RE.sub(r"\1\1", raw.lower()).strip("'")
    if not w:
        return ()
    elided = ELISION_RE.match(w)
    pieces = [elided.group(1), elided.group(2)] if elided else [w]
    return tuple((piece, _negation(piece)) for piece in pieces)


def tokens(text: str) -> list[str]:
    """The post as model tokens: lowercase words (elongation cut to two letters, French elisions split),
    ``neg_`` marks in a negation's scope, hashtags whole and split at their capitals, emoji, emoticon classes,
    ``<num>``, ``<caps>`` after a shouted word, and ``!`` / ``?``. URLs and @mentions are dropped."""
    text = unicodedata.normalize("NFC", text or "").replace("’", "'").replace("`", "'")
    text = MENTION_RE.sub(" ", URL_RE.sub(" ", text))
    out: list[str] = []
    negate_left = 0

    def word(raw: str) -> None:
        nonlocal negate_left
        for piece, negation in _word_pieces(raw):
            if negation:
                out.append(piece)
                negate_left = NEGATION_SCOPE
            elif negate_left:
                out.append("neg_" + piece)
                negate_left -= 1
            else:
                out.append(piece)

    for match in TOKEN_RE.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "word":
            word(value)
            if len(value) >= 3 and value.isupper():
                out.append("<caps>")
        elif kind == "hashtag":
            body = value[1:]
            out.append("#" + ELONGATION_RE.sub(r"\1\1", body.lower()))
            parts = CAMEL_RE.findall(body)
            if len(parts) > 1:
                for part in parts:
                    if not part.isdigit():
                        word(part)
            negate_left = 0
        elif kind == "emoticon":
            if EMOTICON_NEGATIVE.match(value):
                out.append("<emo_neg>")
            elif EMOTICON_POSITIVE.match(value):
                out.append("<emo_pos>")
            else:
                out.append("<emo>")
            negate_left = 0
        elif kind == "emoji":
            emoji = EMOJI_NOISE_RE.sub("", value)
            if emoji:
                out.append(emoji)
            negate_left = 0
        elif kind == "number":
            out.append("<num>")
        elif kind == "shout":
            out.append(("?" if "?" in value else "") + ("!" if "!" in value else "") + ("+" if len(value) > 1 else ""))
            negate_left = 0
        else:
            negate_left = 0
    return out


def _normalised(counts: Counter) -> dict[str, float]:
    """Sublinear term frequency (1 + log tf), scaled to unit length."""
    values = {f: 1.0 + math.log(c) for f, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    return {f: v / norm for f, v in values.items()}


@lru_cache(maxsize=65536)
def _char_grams(word: str) -> tuple[str, ...]:
    """``c:`` n-grams of one word padded with spaces (words recur: cached per process)."""
    padded = " " + word + " "
    low, high = CHAR_NGRAMS
    return tuple("c:" + padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1))


def featurize(text: str) -> dict[str, float]:
    """Sparse features of a post: ``w:`` word unigrams, ``b:`` bigrams, ``c:`` character n-grams of each word
    (``char_wb``: padded with a space on both sides), each block scaled to unit length on its own, and
    ``l:pos`` / ``l:neg``, the lexicon words of each polarity."""
    toks = tokens(text)
    words = Counter("w:" + t for t in toks)
    words.update("b:" + a + " " + b for a, b in zip(toks, toks[1:], strict=False))
    chars: Counter = Counter()
    for t in toks:
        if not t.startswith("<"):
            chars.update(_char_grams(t[4:] if t.startswith("neg_") else t))
    features = _normalised(words)
    features.update(_normalised(chars))
    for t in toks:
        negated = t.startswith("neg_")
        weight = LEXICON.get(t[4:] if negated else t)
        if weight:
            key = "l:pos" if (weight > 0) != negated else "l:neg"
            features[key] = features.get(key, 0.0) + LEXICON_WEIGHT
    return features


def probabilities(model: dict, features: dict[str, float]) -> list[float]:
    """Softmax of one language's linear scores over ``CLASSES``."""
    weights = model["weights"]
    neg, neu, pos = model["bias"]
    # Unrolled over the three classes: this loop is most of the cost of scoring a batch.
    for feature, value in features.items():
        w = weights.get(feature)
        if w is not None:
            neg += w[0] * value
            neu += w[1] * value
            pos += w[2] * value
    return _softmax(neg, neu, pos)


def _softmax(neg: float, neu: float, pos: float) -> list[float]:
    logits = (neg, neu, pos)
    top = max(logits)
    exp = [math.exp(x - top) for x in logits]
    total = sum(exp)
    return [e / total for e in exp]


def score_from(probs: list[float]) -> float:
    """P(positive) − P(negative), moved into the argmax class's band of ``label_for`` (so both agree)."""
    neg, neu, pos = probs
    score = pos - neg
    best = max(range(3), key=lambda k: probs[k])
    if best == 0:
        score = min(score, NEGATIVE_THRESHOLD)
    elif best == 2:
        score = max(score, POSITIVE_THRESHOLD)
    else:
        margin = 0.0001
        score = min(max(score, NEGATIVE_THRESHOLD + margin), POSITIVE_THRESHOLD - margin)
    return round(score, 4)


_lock = threading.Lock()
_cache: dict[str, dict] = {}


def load_model(path: str | Path = MODEL_PATH) -> dict:
    """The model file, read once per process and path (``{"languages": {"en": {...}, "fr": {...}}}``)."""
    key = str(path)
    model = _cache.get(key)
    if model is None:
        with _lock:
            model = _cache.get(key)
            if model is None:
                with gzip.open(key, "rt", encoding="utf-8") as handle:
                    raw = json.load(handle)
                for language in raw["languages"].values():
                    language["weights"] = {f: tuple(w) for f, w in language["weights"].items()}
                model = _cache[key] = raw
    return model


class _PerCount(dict):
    """A function of a feature's count ``c``, computed once per count."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def __missing__(self, count: int) -> float:
        self[count] = result = self.function(count)
        return result


# 1 + log c, the sublinear term frequency of ``_normalised``; its square; and its excess over c.
_VALUES = _PerCount(lambda c: 1.0 + math.log(c))
_SQUARES = _PerCount(lambda c: _VALUES[c] * _VALUES[c])
_EXCESS = _PerCount(lambda c: _VALUES[c] - c)
_first, _second, _third, _fourth = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)
_REPEATED = _PerCount(lambda c: c > 1)
_ZERO, _ZEROS = (0.0, 0.0, 0.0), repeat(0.0)


class _FastModel:
    """One language's weights rearranged for inference without ``featurize``'s normalised dict.

    ``score`` returns what ``score_from(probabilities(model, featurize(text)))`` returns (the test holds them
    equal on every post of both corpora): the character block, most of a post's features, is one sum of
    weights per word (cached), corrected for the n-grams that occur more than once, then divided by the block's
    norm, instead of a product per n-gram. Only the order of the floating-point additions differs (≈1e-16)."""

    def __init__(self, model: dict):
        weights = model["weights"]
        self.bias = tuple(model["bias"])
        self.weights = weights
        self.words = {f[2:]: w for f, w in weights.items() if f.startswith("w:")}
        # Tokens never hold a space, so "b:a b" splits back into its pair.
        self.bigrams = {tuple(f[2:].split(" ", 1)): w for f, w in weights.items() if f.startswith("b:")}
        self.lexicon = {key: weights[key] for key in ("l:pos", "l:neg") if key in weights}
        self.columns = [{f: w[k] for f, w in weights.items() if f.startswith("c:")} for k in range(3)]
        self.token = lru_cache(maxsize=65536)(self._token)
        self.score = lru_cache(maxsize=4096)(self._score)

    def _token(self, token: str) -> tuple[tuple[str, ...], tuple[float, float, float], tuple, str | None]:
        """A token's character n-grams, the sum of their weights, its unigram's weights (zeros when it has
        none) and its lexicon feature (or ``None``)."""
        negated = token.startswith("neg_")
        bare = token[4:] if negated else token
        grams = () if token.startswith("<") else _char_grams(bare)
        neg = neu = pos = 0.0
        for gram in grams:
            w = self.weights.get(gram)
            if w is not None:
                neg += w[0]
                neu += w[1]
                pos += w[2]
        weight = LEXICON.get(bare)
        lexicon = ("l:pos" if (weight > 0) != negated else "l:neg") if weight else None
        return grams, (neg, neu, pos), self.words.get(token, _ZERO), lexicon

    def _score(self, text: str) -> float | None:
        toks = tokens(text)
        if not any(t[0] not in "!?" for t in toks):
            return None
        infos = list(map(self.token, toks))
        # A block's features each weigh (1 + log count) / norm. Per token, the cached sums of its n-grams'
        # (and its unigram's) weights count a feature once per occurrence: those occurring c > 1 times,
        # found without a Python loop over all of them, are corrected by 1 + log c − c.
        # Word block: unigrams and bigrams.
        unigrams, bigrams = Counter(toks), Counter(zip(toks, toks[1:], strict=False))
        times = list(filter(_REPEATED.__getitem__, chain(unigrams.values(), bigrams.values())))
        norm = math.sqrt(len(unigrams) + len(bigrams) - len(times) + sum(map(_SQUARES.__getitem__, times)))
        w_neg, w_neu, w_pos = map(sum, zip(*map(_third, infos), strict=True))
        if times:
            words = self.words
            for token in compress(unigrams, map(_REPEATED.__getitem__, unigrams.values())):
                w = words.get(token)
                if w is not None:
                    excess = _EXCESS[unigrams[token]]
                    w_neg += w[0] * excess
                    w_neu += w[1] * excess
                    w_pos += w[2] * excess
        table = self.bigrams
        for pair in filter(table.__contains__, bigrams):
            w, value = table[pair], _VALUES[bigrams[pair]]
            w_neg += w[0] * value
            w_neu += w[1] * value
            w_pos += w[2] * value
        neg, neu, pos = self.bias
        neg += w_neg / norm
        neu += w_neu / norm
        pos += w_pos / norm
        # Character block.
        counts = Counter(chain.from_iterable(map(_first, infos)))
        if counts:
            c_neg, c_neu, c_pos = map(sum, zip(*map(_second, infos), strict=True))
            repeated = list(compress(counts, map(_REPEATED.__getitem__, counts.values())))
            times = list(map(counts.__getitem__, repeated))
            excess = list(map(_EXCESS.__getitem__, times))
            c_neg += sum(map(mul, map(self.columns[0].get, repeated, _ZEROS), excess))
            c_neu += sum(map(mul, map(self.columns[1].get, repeated, _ZEROS), excess))
            c_pos += sum(map(mul, map(self.columns[2].get, repeated, _ZEROS), excess))
            norm = math.sqrt(len(counts) - len(times) + sum(map(_SQUARES.__getitem__, times)))
            neg += c_neg / norm
            neu += c_neu / norm
            pos += c_pos / norm
        # Lexicon features: LEXICON_WEIGHT once per occurrence.
        lexicon: dict[str, float] = {}
        for key in map(_fourth, infos):
            if key is not None:
                lexicon[key] = lexicon.get(key, 0.0) + LEXICON_WEIGHT
        for key, value in lexicon.items():
            w = self.lexicon.get(key)
            if w is not None:
                neg += w[0] * value
                neu += w[1] * value
                pos += w[2] * value
        return score_from(_softmax(neg, neu, pos))


_fast_lock = threading.Lock()
_fast_models: dict[int, tuple[dict, _FastModel]] = {}


def fast_model(model: dict) -> _FastModel:
    """The inference tables of one language's model (built once per loaded model)."""
    entry = _fast_models.get(id(model))
    if entry is None or entry[0] is not model:
        with _fast_lock:
            entry = _fast_models.get(id(model))
            if entry is None or entry[0] is not model:
                entry = _fast_models[id(model)] = (model, _FastModel(model))
    return entry[1]


def clear_text_cache() -> None:
    """Forget the whole-text scores (the per-word caches stay): for timing runs."""
    for _model, fast in list(_fast_models.values()):
        fast.score.cache_clear()


class LinearModelAnalyser:
    """The trained English/French model; other named languages get no score, like the lexicon scorer."""

    def __init__(self, path: str | Path | None = None):
        self.path = path or MODEL_PATH

    def _language(self, text: str, language: str) -> str:
        lang = (language or "").lower()[:2]
        # Undetermined (the detector could not tell): the commonest words decide, en or fr.
        return lang or guess_language(tokenize(text))

    def score(self, text: str, language: str = "") -> float | None:
        return self.score_many([text], [language])[0]

    def score_many(self, texts: list[str], languages: list[str]) -> list[float | None]:
        """One score per text (−1..+1, or ``None`` for empty text and languages without a model)."""
        models = load_model(self.path)["languages"]
        scores: list[float | None] = []
        for text, language in zip(texts, languages, strict=True):
            model = models.get(self._language(text or "", language))
            scores.append(fast_model(model).score(text or "") if model is not None else None)
        return scores

    def reference_score_many(self, texts: list[str], languages: list[str]) -> list[float | None]:
        """``score_many`` the slow, plain way (``featurize`` + ``probabilities`` + ``score_from``): what the
        fast path must equal."""
        models = load_model(self.path)["languages"]
        scores: list[float | None] = []
        for text, language in zip(texts, languages, strict=True):
            model = models.get(self._language(text or "", language))
            features = featurize(text or "") if model is not None else {}
            if not any(f.startswith("w:") and f[2] not in "!?" for f in features):
                scores.append(None)
                continue
            scores.append(score_from(probabilities(model, features)))
        return scores
