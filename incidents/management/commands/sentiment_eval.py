"""``manage.py sentiment_eval FILE.csv [--analyser dotted.path]``: accuracy, macro-F1, confusion matrix."""

from django.core.management.base import BaseCommand, CommandError

from incidents.listening.sentiment_eval import LABELS, CorpusError, evaluate


class Command(BaseCommand):
    help = "Evaluate a sentiment analyser on a labelled CSV (columns id,language,label,text)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="UTF-8 CSV with a header row: id,language,label,text.")
        parser.add_argument("--analyser", default="", help="Dotted path of an analyser class (default: configured).")

    def handle(self, *args, path, analyser, **options):
        try:
            results = evaluate(path, analyser)
        except CorpusError as exc:
            raise CommandError(str(exc)) from exc
        except ImportError as exc:
            raise CommandError(f"cannot import analyser {analyser!r}: {exc}") from exc
        for language, m in results.items():
            self.stdout.write(f"[{language}] n={m['n']} accuracy={m['accuracy']:.3f} macro-F1={m['macro_f1']:.3f}")
            self.stdout.write("  gold \\ predicted " + " ".join(f"{p:>9}" for p in LABELS))
            for g in LABELS:
                self.stdout.write(f"  {g:<17} " + " ".join(f"{m['matrix'][g][p]:>9}" for p in LABELS))
