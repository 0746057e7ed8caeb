"""Shared by the review commands: who is acting, which item, and how refusals are reported."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import selectors

# Exit codes a script can act on, mirroring the API's HTTP statuses (argparse uses 2 for usage errors).
EXIT_FORBIDDEN = 3  # 403: missing role, four eyes
EXIT_CONFLICT = 4  # 409: wrong state, missing approval, stale revision
EXIT_INVALID = 5  # 400: bad input (no comment, no reason, text too long)
EXIT_NOT_FOUND = 6  # 404: no such user or item (or not visible to the user)


def item_types() -> dict[str, type]:
    """Reviewable models by the name the command accepts: ``statement``, ``keymessage``…"""
    return {model._meta.model_name: model for model in selectors.reviewable_models()}


def normalise_type(value: str) -> str:
    # "key-message", "key_message" and "KeyMessage" all name the key message model.
    return value.replace("-", "").replace("_", "").lower()


def get_actor(username: str):
    """The active user the command acts as; an unknown or inactive name is an error, not an anonymous call."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(
            _("No active user named “%(username)s”.") % {"username": username}, returncode=EXIT_NOT_FOUND
        )
    return user


def get_item(type_name: str, pk: int, user):
    """The item, looked up among those ``user`` may read, so a confidential one is "not found" like in the browser."""
    model = item_types().get(normalise_type(type_name))
    if model is None:
        raise CommandError(
            _("Unknown item type “%(type)s”; expected one of: %(types)s.")
            % {"type": type_name, "types": ", ".join(sorted(item_types()))},
            returncode=EXIT_INVALID,
        )
    item = selectors.visible_items(model, user).select_related("current_revision").filter(pk=pk).first()
    if item is None:
        raise CommandError(
            _("No %(type)s %(id)s visible to %(username)s.")
            % {"type": model._meta.verbose_name, "id": pk, "username": user.get_username()},
            returncode=EXIT_NOT_FOUND,
        )
    return item


def refusal(error: Exception) -> CommandError:
    """The service's refusal as a command error: its message, and the exit code of its kind."""
    if isinstance(error, PermissionDenied):
        return CommandError(_("Refused: %(reason)s") % {"reason": error}, returncode=EXIT_FORBIDDEN)
    if isinstance(error, InvalidTransition):
        return CommandError(_("Not possible: %(reason)s") % {"reason": error}, returncode=EXIT_CONFLICT)
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            reasons = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
        else:
            reasons = " ".join(error.messages)
        return CommandError(_("Invalid: %(reason)s") % {"reason": reasons}, returncode=EXIT_INVALID)
    raise TypeError(error)
