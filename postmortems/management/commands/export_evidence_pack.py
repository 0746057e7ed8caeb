from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from postmortems.evidence.services import evidence_pack_export, exportable_incident


class Command(BaseCommand):
    help = "Export one incident's evidence pack (ZIP with record.json, record.pdf and a signed SHA-256 manifest)."

    def add_arguments(self, parser):
        parser.add_argument("reference")
        parser.add_argument("--output", help="Path of the ZIP (default: <REF>-evidence.zip)")
        parser.add_argument(
            "--actor",
            help="Username the export is made and audited as, with that user's visibility (default: the system)",
        )

    def handle(self, *args, reference, output=None, actor=None, **options):
        user = None
        if actor:
            user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: actor}).first()
            if user is None:
                raise CommandError(f"No user {actor}.")
            incident = exportable_incident(user=user, reference=reference)
        else:
            incident = Incident.objects.filter(reference=reference).first()
        if incident is None:
            raise CommandError(f"No incident {reference}" + (f" that {actor} may export." if actor else "."))
        data, manifest_hash = evidence_pack_export(actor=user, incident=incident)
        path = Path(output or f"{reference}-evidence.zip")
        path.write_bytes(data)
        self.stdout.write(f"{path} manifest sha256 {manifest_hash}")
