"""``manage.py sentiment_train [--train FILE ...] [--out PATH] [--seed N]``: fit and write the sentiment model."""

from django.core.management.base import BaseCommand, CommandError

from incidents.listening.sentiment_eval import CorpusError, read_corpus
from incidents.listening.sentiment_model import MODEL_PATH

TRAIN_PATH = MODEL_PATH.parent / "train.csv"


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

    def handle(self, *args, train, out, seed, **options):
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
        except CorpusError as exc:
            raise CommandError(str(exc)) from exc
        model = fit(rows, seed=seed, report=self.stdout.write)
        try:
            size = write_model(model, out)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(f"wrote {out} ({size:,} bytes)")
