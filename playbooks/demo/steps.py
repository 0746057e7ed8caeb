"""What playbooks adds to ``seed_demo`` (``crisisdesk.demo``); called from ``PlaybooksConfig.ready()``.

Key messages (order 20) come before the crises (incidents' step, 30), whose statements reuse
them: they are handed over in ``context.produced["key_messages"]``, by demo key. The roster,
playbooks, exercise and activation (50) come after the post-crisis reviews (40) and are
idempotent, so they run on every call. The seeding modules are imported when a step runs.
"""

from django.utils.translation import gettext as _

from crisisdesk import demo

KEY_MESSAGES_STEP, PLAYBOOKS_STEP = 20, 50


def _key_messages(context: demo.DemoContext) -> None:
    from playbooks.demo.seed import seed_key_messages

    context.produced["key_messages"] = seed_key_messages(users=context.users, now=context.now)


def _reset_key_messages(context: demo.DemoContext) -> None:
    from playbooks.demo.seed import delete_key_messages

    delete_key_messages()


def _playbooks(context: demo.DemoContext) -> None:
    from playbooks.demo.seed import seed_playbooks

    # Idempotent on its own (looks things up by name), so it also fills in a desk seeded before issue 4.
    counts = seed_playbooks(users=context.users)
    context.success(
        _("Roster: %(people)d people; %(playbooks)d playbooks; %(open_tasks)d open playbook tasks.") % counts
    )


def _key_messages_summary(context: demo.DemoContext) -> None:
    from playbooks.demo.seed import demo_key_messages
    from playbooks.keymessages.models import KeyMessage

    key_messages = demo_key_messages()
    context.write(
        _("  %(count)d key messages, %(usable)d usable now (one expired, one waiting for review)")
        % {"count": key_messages.count(), "usable": KeyMessage.objects.usable().filter(pk__in=key_messages).count()}
    )


def register() -> None:
    demo.register(KEY_MESSAGES_STEP, "playbooks.key_messages", _key_messages, once=True, reset=_reset_key_messages)
    demo.register(PLAYBOOKS_STEP, "playbooks.playbooks", _playbooks)
    # Under incidents' "Statements and key messages" heading (30), before Legal's queue (50).
    demo.register_summary(40, "playbooks.key_messages", _key_messages_summary)
