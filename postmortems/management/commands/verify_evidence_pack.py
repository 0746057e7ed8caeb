import sys

from django.core.management.base import BaseCommand

from postmortems.evidence.pack import verify_pack


class Command(BaseCommand):
    help = "Verify an evidence pack against its manifest; exit 1 and name each failing file if altered."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        problems = verify_pack(path)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            self.stderr.write(f"FAILED: {path} does not match its signed manifest ({len(problems)} problem(s)).")
            sys.exit(1)
        self.stdout.write("OK: every file matches the manifest and the manifest signature is valid.")
