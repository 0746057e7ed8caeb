"""Every write of notifications: ``notify`` (in the caller's transaction), marking read one or all."""

from django.db import transaction
from django.utils import timezone

from crisisdesk import live

from . import kinds, messages
from .models import Notification

TEXT_MAX = Notification._meta.get_field("text").max_length
URL_MAX = Notification._meta.get_field("url").max_length


def notify(
    *, recipients, kind: str, text: str = "", message: dict | None = None, url: str = "", incident=None, actor=None
) -> list[Notification]:
    """Tell each active recipient (not the ``actor``) about something, in the caller's transaction.

    The rows are written now (a rolled-back change leaves none); the recipients' bells are
    bumped on commit. ``text`` is fixed interface text with object labels, already translated; better,
    ``message`` (``messages.message(...)``) is shown in each reader's language, ``text`` then being
    written in the site's language.
    """
    kinds.get(kind)  # ValueError for an unknown kind, before anything is written
    actor_pk = getattr(actor, "pk", None)
    users = {user.pk: user for user in recipients if user is not None and user.is_active and user.pk != actor_pk}
    if not users:
        return []
    text = messages.render_in_site_language(message) if message else str(text)
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk,
                kind=kind,
                text=text,
                message=message or {},
                url=str(url)[:URL_MAX],
                incident=incident,
                created_at=now,
            )
            for pk in sorted(users)
        ]
    )
    live.touch(*(live.user_topic(pk) for pk in users))
    return created


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """Mark one of ``actor``'s notifications read (already read: unchanged)."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        live.touch(live.user_topic(actor))
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification of ``actor`` read; returns how many."""
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        live.touch(live.user_topic(actor))
    return count
