"""What incidents adds to ``seed_demo`` (``crisisdesk.demo``); called from ``IncidentsConfig.ready()``.

The seeding modules are imported when a step runs, not at start-up: reading the scenario
files is the demo's business, not every web or worker process's.
"""

from django.utils.translation import gettext as _

from crisisdesk import demo

# Where this app's steps run; playbooks seeds the key messages at 20 and the playbooks at 50,
# postmortems the reviews at 40.
USERS_STEP, INCIDENTS_STEP, MENTIONS_STEP = 10, 30, 60


def _users(context: demo.DemoContext) -> None:
    from incidents.demo.users import ensure_users

    context.users.update(ensure_users())


def _incidents(context: demo.DemoContext) -> None:
    from incidents.demo.seed import play_incidents

    created = play_incidents(
        users=context.users, now=context.now, key_messages=context.produced.get("key_messages", {})
    )
    context.produced["incidents"] = created
    context.success(_("Created %(count)d demo incidents.") % {"count": len(created)})


def _reset(context: demo.DemoContext) -> None:
    from incidents.demo.seed import reset

    context.write(_("Deleted %(count)d demo incidents.") % {"count": reset()})


def _is_seeded() -> bool:
    from incidents.demo.seed import is_seeded

    return is_seeded()


def _mentions(context: demo.DemoContext) -> None:
    from incidents.demo.seed import seed_mentions

    # Idempotent: mentions are keyed on (platform, external id), so a second run updates them.
    count = seed_mentions(users=context.users)
    context.success(
        _("Social listening: %(count)d demo mentions, with a negative burst in the last hour.") % {"count": count}
    )


def _summary(name: str):
    def write(context: demo.DemoContext) -> None:
        from incidents.demo import summary

        getattr(summary, name)(context)

    return write


def register() -> None:
    demo.register(USERS_STEP, "incidents.users", _users)
    demo.register(INCIDENTS_STEP, "incidents.incidents", _incidents, once=True, reset=_reset, is_seeded=_is_seeded)
    demo.register(MENTIONS_STEP, "incidents.mentions", _mentions)
    demo.register_summary(10, "incidents.logins", _summary("logins"))
    demo.register_summary(20, "incidents.incidents", _summary("incidents"))
    demo.register_summary(30, "incidents.statements", _summary("statements"))
    # 40: playbooks' key messages line, under the statements' heading.
    demo.register_summary(50, "incidents.queue_and_newsroom", _summary("queue_and_newsroom"))
    demo.register_summary(60, "incidents.api", _summary("api"))
