"""Deleting a personal token (the admin, a script) revokes its approval grant in the same transaction."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from crisisdesk.audit.services import current_actor

from .grants import revoke_grants_of


@receiver(post_delete, sender=Token, dispatch_uid="apikeys_token_deleted_revokes_grant")
def token_deleted(sender, instance, **kwargs):
    with transaction.atomic():
        revoke_grants_of(actor=current_actor(), token_user_id=instance.user_id, reason="token deleted")
