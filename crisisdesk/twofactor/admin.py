"""Admin: the passkeys (django-otp-webauthn leaves registering its credential admin to the project).

An administrator deletes a lost passkey here, as a lost phone's TOTP device under *TOTP devices*.
"""

from django.contrib import admin
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)
