"""Who may manage webhooks: the one place these rules live (services enforce them, views ask them).

Team leads hold the ``webhooks`` permissions (data migration 0002). Sending a
confidential incident's events outside is an administrator's decision: only a
superuser may turn ``include_confidential`` on, or edit a subscription that has it
(otherwise a team lead outside a confidential incident's team could point such a
subscription at a server of their own and read the incident). Sending the words of statements not yet
published (and staff's withdrawal reasons and comments) is guarded the same way by
``include_internal_drafts``.
"""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_view(user) -> bool:
    return _active(user) and user.has_perm("webhooks.view_subscription")


def can_create(user) -> bool:
    return _active(user) and user.has_perm("webhooks.add_subscription")


def can_set_confidential(user) -> bool:
    return _active(user) and user.is_superuser


def can_set_internal_drafts(user) -> bool:
    return _active(user) and user.is_superuser


def can_manage(user, subscription) -> bool:
    """Edit, (de)activate, reveal or rotate the secret of this subscription."""
    if not (_active(user) and user.has_perm("webhooks.change_subscription")):
        return False
    if subscription.include_internal_drafts and not can_set_internal_drafts(user):
        return False
    return not subscription.include_confidential or can_set_confidential(user)


def can_view_deliveries(user) -> bool:
    return _active(user) and user.has_perm("webhooks.view_delivery")


def can_redeliver(user) -> bool:
    """The permission only; which deliveries a user may see is ``Delivery.objects.visible_to``."""
    return _active(user) and user.has_perm("webhooks.redeliver_delivery")
