"""Measure a sentiment analyser on a labelled CSV (columns id,language,label,text): pure-Python metrics."""

import csv

from django.utils.module_loading import import_string

from incidents.listening.sentiment import label_for

LABELS = ("negative", "neutral", "positive")
LANGUAGES = ("en", "fr")
COLUMNS = ("id", "language", "label", "text")


class CorpusError(ValueError):
    """The CSV cannot be evaluated; the message names the line and the problem."""


def read_corpus(path: str) -> list[dict]:
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise CorpusError(f"cannot open {path}: {exc.strerror}") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CorpusError(f"missing column(s): {', '.join(missing)} (expected {','.join(COLUMNS)})")
            rows = []
            for line, row in enumerate(reader, start=2):
                label = (row["label"] or "").strip().lower()
                language = (row["language"] or "").strip().lower()
                if label not in LABELS:
                    raise CorpusError(f"line {line}: bad label {row['label']!r} (expected {', '.join(LABELS)})")
                if language not in LANGUAGES:
                    raise CorpusError(f"line {line}: bad language {row['language']!r} (expected en, fr)")
                rows.append({"id": row["id"], "language": language, "label": label, "text": row["text"] or ""})
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path} is not UTF-8") from exc
    if not rows:
        raise CorpusError("no rows to evaluate")
    return rows


def predict(analyser, rows: list[dict]) -> list[str]:
    texts = [r["text"] for r in rows]
    languages = [r["language"] for r in rows]
    many = getattr(analyser, "score_many", None)
    scores = (
        many(texts, languages) if many else [analyser.score(t, lang) for t, lang in zip(texts, languages, strict=True)]
    )
    return [label_for(s) for s in scores]


def metrics(gold: list[str], predicted: list[str]) -> dict:
    matrix = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        matrix[g][p] += 1
    f1s = []
    for label in LABELS:
        tp = matrix[label][label]
        fp = sum(matrix[g][label] for g in LABELS) - tp
        fn = sum(matrix[label].values()) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    correct = sum(matrix[label][label] for label in LABELS)
    return {
        "n": len(gold),
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": sum(f1s) / len(LABELS),
        "matrix": matrix,
    }


def evaluate(path: str, analyser_path: str = "") -> dict[str, dict]:
    """Per-language metrics of the analyser (the configured one when no dotted path is given)."""
    from incidents.listening.sentiment import get_analyser

    analyser = import_string(analyser_path)() if analyser_path else get_analyser()
    rows = read_corpus(path)
    predicted = predict(analyser, rows)
    results = {}
    for language in LANGUAGES:
        idx = [i for i, r in enumerate(rows) if r["language"] == language]
        if idx:
            results[language] = metrics([rows[i]["label"] for i in idx], [predicted[i] for i in idx])
    return results
