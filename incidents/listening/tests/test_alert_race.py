"""Two people handle the same alert at the same moment: one wins, the other gets InvalidTransition (PostgreSQL).

The threads start on a barrier so the service calls really overlap; each closes its own connection.
"""

import threading

import pytest
from django.db import connection

from crisisdesk.audit.models import AuditRecord
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.roles import COMMUNICATOR
from crisisdesk.testing.factories import IncidentFactory, UserFactory
from incidents.listening import alerts as alert_services
from incidents.listening.models import Alert, Mention
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from incidents.models import Incident

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(calls) -> tuple[list, list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results, errors, lock = [None] * len(calls), [], threading.Lock()

    def worker(index):
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - the main thread reports every failure
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results, errors


def test_two_openings_of_the_same_alert_open_one_incident(team_lead):
    alert = make_alert(make_rule(team_lead))
    first, second = (UserFactory(username=f"racer{i}", role=COMMUNICATOR) for i in range(2))

    results, errors = race(
        [lambda user=user: alert_services.alert_open_incident(actor=user, alert=alert) for user in (first, second)]
    )

    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), errors
    assert Incident.objects.count() == 1
    alert.refresh_from_db()
    winner = next(result for result in results if result is not None)
    assert alert.incident == winner and alert.handled_by in (first, second)
    assert Mention.objects.filter(incident=winner).count() == 2
    assert AuditRecord.objects.filter(action__startswith="alert.").count() == 1


def test_open_dismiss_and_attach_at_once_one_wins_and_nothing_half_done(team_lead):
    alert = make_alert(make_rule(team_lead))
    incident = IncidentFactory()
    users = [UserFactory(username=f"handler{i}", role=COMMUNICATOR) for i in range(3)]
    incidents_before = Incident.objects.count()

    _, errors = race(
        [
            lambda: alert_services.alert_open_incident(actor=users[0], alert=alert),
            lambda: alert_services.alert_dismiss(actor=users[1], alert=alert, reason="Noise."),
            lambda: alert_services.alert_attach(actor=users[2], alert=alert, incident=incident),
        ]
    )

    assert len(errors) == 2 and all(isinstance(error, InvalidTransition) for error in errors), errors
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.handling in ("opened", "dismissed", "attached")
    # The loser that would have opened an incident rolled it back whole.
    assert Incident.objects.count() == incidents_before + (alert.handling == "opened")
    assert AuditRecord.objects.filter(action__startswith="alert.").count() == 1
