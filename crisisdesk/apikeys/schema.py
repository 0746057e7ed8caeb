"""OpenAPI description of integration API keys (loaded by ``APIKeysConfig.ready``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Api-Key <prefix>.<secret>``; scopes: ingest, read, write."""

    target_class = "crisisdesk.apikeys.authentication.APIKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Integration key: `Api-Key <prefix>.<secret>`. Scopes: ingest, read, write.",
        }
