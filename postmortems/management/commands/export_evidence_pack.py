from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from postmortems.evidence.services import evidence_pack_export


class Command(BaseCommand):
    help = "Export one incident's evidence pack (ZIP with record.json and a signed SHA-256 manifest)."

    def add_arguments(self, parser):
        parser.add_argument("reference")
        parser.add_argument("--output", help="Path of the ZIP (default: <REF>-evidence.zip)")

    def handle(self, *args, reference, output=None, **options):
        incident = Incident.objects.filter(reference=reference).first()
        if incident is None:
            raise CommandError(f"No incident {reference}.")
        data, manifest_hash = evidence_pack_export(actor=None, incident=incident)
        path = Path(output or f"{reference}-evidence.zip")
        path.write_bytes(data)
        self.stdout.write(f"{path} manifest sha256 {manifest_hash}")
