"""Fit ``sentiment_model``'s weights from a labelled corpus (``manage.py sentiment_train``); dev-only.

scikit-learn (requirements-dev.txt) is imported inside the functions: the running product never needs it.
Deterministic for a given corpus and seed:

1. per language, a stratified 20 % of the training rows is held back;
2. the regularisation strength C is chosen by stratified 5-fold cross-validation on the other 80 % only;
3. a model fitted on that 80 % (same pruning) is scored on the held-back 20 % — the reported figure;
4. the shipped model is then fitted with that C on all the training rows, keeping the strongest features.

Every fit also sees the lexicon's strong words as one-word examples (``lexicon_examples``).

Features come from ``sentiment_model.featurize`` (the function inference uses), so both featurize equally.
"""

import gzip
import json
from pathlib import Path

from incidents.listening.sentiment import EN_LEXICON, FR_LEXICON, label_for
from incidents.listening.sentiment_eval import LANGUAGES, metrics
from incidents.listening.sentiment_model import CLASSES, featurize, probabilities, score_from

C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
HOLD_BACK = 0.2
FOLDS = 5
# Features kept per language (by their largest absolute weight); keeps the file well under 1 MB.
MAX_FEATURES = 12_000
# A feature must occur in at least this many training posts to be learnt at all.
MIN_DF = 2
DECIMALS = 4
# The corpus's negatives seldom use plain words ("awful", "nul"): its writers aimed at what a lexicon misses.
# So every fit also learns the built-in lexicon's strong words (|weight| ≥ 2) as one-word examples,
# without them "awful" alone read positive. They are never among the posts a figure is computed on.
LEXICONS = {"en": EN_LEXICON, "fr": FR_LEXICON}
LEXICON_EXAMPLE_MIN_WEIGHT = 2


def lexicon_examples(language: str) -> tuple[list[dict], list[str]]:
    words = sorted((w, v) for w, v in LEXICONS.get(language, {}).items() if abs(v) >= LEXICON_EXAMPLE_MIN_WEIGHT)
    return [featurize(w) for w, _ in words], ["negative" if v < 0 else "positive" for _, v in words]


def _fit(features: list[dict], labels: list[str], c: float, seed: int, extra: tuple = ((), ())) -> dict:
    """One language's model (bias and pruned weights, rounded) fitted on ``features`` / ``labels`` + ``extra``."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    features, labels = list(features) + list(extra[0]), list(labels) + list(extra[1])
    df: dict[str, int] = {}
    for f in features:
        for name in f:
            df[name] = df.get(name, 0) + 1
    kept = sorted(name for name, n in df.items() if n >= MIN_DF)

    def fit(vocabulary):
        vectorizer = DictVectorizer(sort=True)
        vectorizer.fit([dict.fromkeys(vocabulary, 1.0)])
        x = vectorizer.transform(features)
        classifier = LogisticRegression(C=c, solver="newton-cg", max_iter=1000, tol=1e-6, random_state=seed)
        classifier.fit(x, [CLASSES.index(label) for label in labels])
        return vectorizer.get_feature_names_out(), classifier

    names, classifier = fit(kept)
    strength = abs(classifier.coef_).max(axis=0)
    if len(names) > MAX_FEATURES:
        # Refit on the strongest features only, so the shipped weights are an optimum of what is shipped.
        order = sorted(range(len(names)), key=lambda i: (-strength[i], names[i]))[:MAX_FEATURES]
        names, classifier = fit(sorted(names[i] for i in order))
    coef = classifier.coef_
    weights = {}
    for i, name in enumerate(names):
        w = [round(float(coef[k][i]), DECIMALS) for k in range(len(CLASSES))]
        if any(w):
            weights[str(name)] = w
    return {"C": c, "bias": [round(float(b), DECIMALS) for b in classifier.intercept_], "weights": weights}


def predict(model: dict, features: list[dict]) -> list[str]:
    """Labels exactly as ``LinearModelAnalyser`` gives them (pure-Python scoring of the rounded weights)."""
    return [label_for(score_from(probabilities(model, f))) for f in features]


def _choose_c(features: list[dict], labels: list[str], seed: int, extra: tuple) -> float:
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    best = None
    for c in C_GRID:
        f1s = []
        for fit_idx, test_idx in folds.split(features, labels):
            model = _fit([features[i] for i in fit_idx], [labels[i] for i in fit_idx], c, seed, extra)
            gold = [labels[i] for i in test_idx]
            f1s.append(metrics(gold, predict(model, [features[i] for i in test_idx]))["macro_f1"])
        mean = sum(f1s) / len(f1s)
        if best is None or mean > best[0] + 1e-9:
            best = (mean, c)
    return best[1]


def train(rows: list[dict], *, seed: int = 0, c: float | None = None, report=print) -> dict:
    """The whole model from corpus rows (``read_corpus`` dicts); ``report`` gets one line per figure.

    ``c`` skips the search (the reproduction test passes the shipped model's own C).
    """
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on a shared machine extra threads make the fits ten times slower, and results steadier.
    with threadpool_limits(limits=1):
        return _train(rows, seed=seed, c=c, report=report)


def _train(rows: list[dict], *, seed: int, c: float | None, report) -> dict:
    from sklearn.model_selection import train_test_split

    model = {"format": 1, "classes": list(CLASSES), "seed": seed, "languages": {}, "held_back": {}}
    for language in LANGUAGES:
        subset = [r for r in rows if r["language"] == language]
        if not subset:
            continue
        labels = [r["label"] for r in subset]
        features = [featurize(r["text"]) for r in subset]
        fit_idx, back_idx = train_test_split(
            list(range(len(subset))), test_size=HOLD_BACK, stratify=labels, random_state=seed
        )
        fit_features, fit_labels = [features[i] for i in fit_idx], [labels[i] for i in fit_idx]
        extra = lexicon_examples(language)
        chosen = c if c is not None else _choose_c(fit_features, fit_labels, seed, extra)
        partial = _fit(fit_features, fit_labels, chosen, seed, extra)
        m = metrics([labels[i] for i in back_idx], predict(partial, [features[i] for i in back_idx]))
        model["held_back"][language] = {
            "n_fit": len(fit_idx),
            "n_held_back": len(back_idx),
            "accuracy": round(m["accuracy"], 4),
            "macro_f1": round(m["macro_f1"], 4),
        }
        report(
            f"[{language}] held-back split: fitted on {len(fit_idx)}, scored on {len(back_idx)}: "
            f"accuracy={m['accuracy']:.3f} macro-F1={m['macro_f1']:.3f} (C={chosen})"
        )
        final = _fit(features, labels, chosen, seed, extra)
        model["languages"][language] = final
        model["held_back"][language]["n_train"] = len(subset)
        report(f"[{language}] final model: {len(subset)} posts, {len(final['weights'])} features kept")
    return model


def write_model(model: dict, path: str | Path) -> int:
    """Write the model gzipped (fixed mtime and key order: same model, same bytes); returns its size."""
    data = json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(data)
    return Path(path).stat().st_size
