"""Second factor (TOTP with django-otp, single-use recovery codes) and step-up for the acts that matter."""
