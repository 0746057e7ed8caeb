"""``manage.py import_mentions FILE.csv``: import mentions, print bad rows with their line numbers."""

import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.listening import csv_import


class Command(BaseCommand):
    """Import a CSV export of a monitoring tool (columns: platform, external_id, text, posted_at, …)."""

    help = "Import mentions from a CSV file (idempotent on platform + external_id)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file, UTF-8, header row first; '-' reads standard input.")

    def handle(self, *args, path, **options):
        total = None
        if path != "-":
            # Counted as bytes: a file that is not UTF-8 is reported by the import, with its line.
            with open(path, "rb") as counting:
                total = max(sum(1 for _ in counting) - 1, 0)

        def progress(done):
            # A plain progress bar on stderr, so stdout stays the report.
            if total:
                width = 30
                filled = int(width * min(done, total) / total)
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
                sys.stderr.flush()

        handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        try:
            result = csv_import.mentions_import_csv(actor=None, lines=handle, progress=progress)
        except csv_import.CSVFileError as exc:
            if total:
                sys.stderr.write("\n")
            raise CommandError(exc.message_dict["file"][0]) from None
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()
        if total:
            sys.stderr.write("\n")
        for line, field_name, message in result.errors:
            self.stdout.write(f"line {line}: {field_name}: {message}")
        self.stdout.write(
            f"Imported {result.stored} mention(s); {len(result.errors)} bad row(s). "
            f"Created {result.created}, updated {result.updated}, unchanged {result.unchanged}."
        )
