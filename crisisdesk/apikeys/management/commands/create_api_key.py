"""``manage.py create_api_key NAME --user USERNAME --scope ingest --scope read``: prints the key once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crisisdesk.apikeys import services
from crisisdesk.apikeys.models import Scope


class Command(BaseCommand):
    """Create an integration API key acting as a user; the raw key is printed and never stored."""

    help = "Create an integration API key; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--user", required=True, help="Username the key acts as (and who creates it).")
        parser.add_argument("--scope", action="append", choices=Scope.values, required=True)

    def handle(self, *args, name, user, scope, **options):
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        key, raw_key = services.apikey_create(actor=owner, name=name, scopes=scope, user=owner)
        self.stdout.write(raw_key)
