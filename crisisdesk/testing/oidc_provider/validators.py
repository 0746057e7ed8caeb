"""The provider's claims (``groups`` from the user's Django groups) and its misbehaviour knobs."""

import json
import time

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


def knobs() -> dict:
    """What the tests asked the provider to get wrong (``server.OIDCProvider.misbehave``)."""
    try:
        return json.loads(settings.KNOBS_FILE.read_text())
    except FileNotFoundError:
        return {}


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "preferred_username": user.get_username(),
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        wrong = knobs()
        if "audience" in wrong:
            claims["aud"] = wrong["audience"]
        offset = int(wrong.get("clock_offset", 0))
        if offset:
            # The issuer's clock is ``offset`` seconds off: every time it writes in the token moves.
            claims["iat"] = int(time.time()) + offset
            claims["exp"] += offset
            claims["auth_time"] += offset
        return claims, expiration_time
