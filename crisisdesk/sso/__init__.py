"""Single sign-on with OpenID Connect (mozilla-django-oidc), enabled by environment variables."""
