"""``manage.py sentiment_train [--train FILE ...] [--out PATH] [--seed N] [--eval FILE]``: fit, write the model."""

from django.core.management.base import BaseCommand, CommandError

from incidents.listening.sentiment_eval import CorpusError, read_corpus
from incidents.listening.sentiment_model import MODEL_PATH

TRAIN_PATH = MODEL_PATH.parent / "train.csv"
EVAL_PATH = MODEL_PATH.parent / "eval.csv"


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


class Command(BaseCommand):
    help = "Train the linear sentiment model (needs scikit-learn from requirements-dev.txt)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--train",
            nargs="+",
            default=[str(TRAIN_PATH)],
            help="Labelled CSV file(s), columns id,language,label,text (default: the shipped train.csv).",
        )
        parser.add_argument("--out", default=str(MODEL_PATH), help="Where to write the gzipped JSON model.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the held-back split and the folds.")
        parser.add_argument(
            "--eval",
            dest="eval_path",
            default=str(EVAL_PATH),
            help="The evaluation corpus: training refuses any of its posts (default: the shipped eval.csv).",
        )

    def handle(self, *args, train, out, seed, eval_path, **options):
        try:
            import sklearn  # noqa: F401 - only to fail early with a clear message

            from incidents.listening.sentiment_training import train as fit
            from incidents.listening.sentiment_training import write_model
        except ImportError as exc:
            raise CommandError("scikit-learn is needed: pip install -r requirements-dev.txt") from exc
        rows = []
        try:
            for path in train:
                rows.extend(read_corpus(path))
            held_out = {_normal(r["text"]) for r in read_corpus(eval_path)}
        except CorpusError as exc:
            raise CommandError(str(exc)) from exc
        leaked = sum(_normal(r["text"]) in held_out for r in rows)
        if leaked:
            raise CommandError(f"{leaked} training post(s) are also in the evaluation corpus {eval_path}: remove them")
        model = fit(rows, seed=seed, report=self.stdout.write)
        try:
            size = write_model(model, out)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(f"wrote {out} ({size:,} bytes)")
