"""``manage.py`` of the test OpenID Connect provider (run by ``crisisdesk.testing.oidc_provider.server``)."""

import os
import sys

if __name__ == "__main__":
    os.environ["DJANGO_SETTINGS_MODULE"] = "crisisdesk.testing.oidc_provider.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
