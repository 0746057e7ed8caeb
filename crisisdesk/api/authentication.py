"""DRF's personal token authentication, with the token's user and their permissions in one query.

DRF reads the token with its user, then Django's ``has_perm`` reads the user's own permissions and
their groups' (three queries per request). Here the permission names come with the token's row
(``crisisdesk.userperms``): the same checks, read on every request, nothing cached across requests,
so a deleted (revoked) token or a role taken away counts from the very next request.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from crisisdesk.userperms import user_with_permissions


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, one query instead of three."""

    def authenticate_credentials(self, key):
        user = user_with_permissions("auth_token__key", key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, self.get_model()(key=key, user=user)
