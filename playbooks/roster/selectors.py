"""Reads of the roster other apps need (through ``incidents.hooks``)."""

from django.contrib.auth import get_user_model


def on_duty_users():
    """The active user accounts of active people who are the first call (priority 1) of at least one role."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            roster_entry__active=True,
            roster_entry__capabilities__priority=1,
        )
        .distinct()
    )
