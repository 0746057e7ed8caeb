"""Role changes: the one sanctioned signal. Any change of ``User.groups`` (admin, shell, a service) is audited.

Django's admin user form saves groups with ``user.groups.set(...)`` (a remove then an add), which
fires ``m2m_changed`` inside the admin's transaction; the admin names the actor with
``acting_as`` (``crisisdesk.audit.admin``). Both directions are covered: ``user.groups.add(group)``
and ``group.user_set.add(user)``.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .services import audit_record, current_actor, state_of

User = get_user_model()


def _group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def _record(user, *, before: set[str], after: set[str], using: str) -> None:
    if before == after:
        return
    audit_record(
        actor=current_actor(),
        action="user.groups",
        target=user,
        from_state=state_of(before),
        to_state=state_of(after),
        data={"added": sorted(after - before), "removed": sorted(before - after)},
        using=using,
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="crisisdesk.audit.user_groups")
def audit_group_change(sender, instance, action, reverse, model, pk_set, using, **kwargs):
    if action not in ("pre_clear", "post_add", "post_remove", "post_clear"):
        return
    if not reverse:  # instance is a user; pk_set are groups
        users = [instance]
    elif action == "pre_clear":
        instance._audit_cleared_users = list(instance.user_set.all())
        users = []
    elif action == "post_clear":
        users = getattr(instance, "_audit_cleared_users", [])
    else:  # instance is a group; pk_set are users
        users = list(User.objects.filter(pk__in=pk_set or ()))
    for user in users:
        if action == "pre_clear":
            user._audit_groups_before = _group_names(user)
            continue
        after = _group_names(user)
        if action == "post_clear" and not reverse:
            before = getattr(user, "_audit_groups_before", set())
        elif action == "post_clear":
            before = after | {instance.name}
        elif reverse:
            group_name = {instance.name}
            before = after - group_name if action == "post_add" else after | group_name
        else:
            changed = set(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
            before = after - changed if action == "post_add" else after | changed
        _record(user, before=before, after=after, using=using)
