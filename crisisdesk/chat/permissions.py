"""Who may manage chat destinations: the one place these rules live (services enforce them, views ask them).

As for webhooks: team leads hold the ``chat`` permissions (data migration 0002), and
only a superuser may turn ``include_confidential`` on or edit a destination that has it.
"""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_view(user) -> bool:
    return _active(user) and user.has_perm("chat.view_destination")


def can_create(user) -> bool:
    return _active(user) and user.has_perm("chat.add_destination")


def can_set_confidential(user) -> bool:
    return _active(user) and user.is_superuser


def can_manage(user, destination) -> bool:
    """Edit, (de)activate or delete this destination."""
    if not (_active(user) and user.has_perm("chat.change_destination")):
        return False
    return not destination.include_confidential or can_set_confidential(user)


def can_delete(user, destination) -> bool:
    return can_manage(user, destination) and user.has_perm("chat.delete_destination")


def can_test(user, destination) -> bool:
    return can_manage(user, destination) and user.has_perm("chat.test_destination")


def can_view_deliveries(user) -> bool:
    return _active(user) and user.has_perm("chat.view_chatdelivery")
