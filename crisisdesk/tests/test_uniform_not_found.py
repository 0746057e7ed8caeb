"""An object the user may not see answers exactly like one that does not exist — on every write endpoint.

The endpoints and their fields are not listed by hand: the test walks the API
router, takes each action's input serializer (``input_serializer_classes``) and
every writable related field in it (nested, ``many=True`` and list children
included), then for each field sends one request naming a hidden object and one
naming a missing one, and compares status codes and bodies apart from the value.
"""

import json
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.test import APIClient

from crisisdesk.api.fields import VisibleRelatedFieldMixin
from crisisdesk.testing.factories import FactFactory, IncidentFactory, UserFactory
from incidents.listening.models import SpikeAction, WatchTerm
from incidents.models import Fact, Incident
from playbooks.keymessages.models import KeyMessage
from playbooks.models import Playbook
from playbooks.roster.models import Person
from postmortems.models import PostmortemReview

MISSING_PK = 987654
MISSING_SLUG = "CD-2099-9999"


# --- walking the router -------------------------------------------------------------------------


def _routes(patterns, namespace=""):
    """(url name with its namespace, pattern) of every router route (format suffixes left out)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner)
        elif (
            isinstance(pattern, URLPattern)
            and getattr(pattern.callback, "actions", None)
            and "(?P<format>" not in str(pattern.pattern)
        ):
            yield f"{namespace}{pattern.name}", pattern


def _related_fields(serializer, path=()):
    """(path, field) for every writable related field, however deep."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        here = (*path, name)
        if isinstance(field, ManyRelatedField):
            yield here, field.child_relation, "many"
        elif isinstance(field, RelatedField):
            yield here, field, "one"
        elif isinstance(field, serializers.ListField) and isinstance(field.child, RelatedField):
            yield here, field.child, "many"
        elif isinstance(field, serializers.ListSerializer):
            yield from _related_fields(field.child, (*here, 0))
        elif isinstance(field, serializers.Serializer):
            yield from _related_fields(field, here)


def write_fields():
    """(basename, action, method, detail, path, field, arity) for every writable related field of the API."""
    found = {}
    for url_name, pattern in _routes(get_resolver().url_patterns):
        viewset = pattern.callback.cls
        for method, action in pattern.callback.actions.items():
            input_class = getattr(viewset, "input_serializer_classes", {}).get(action)
            if input_class is None:
                continue
            detail = "pk" in str(pattern.pattern) or "reference" in str(pattern.pattern)
            basename = pattern.name.rsplit("-", 1)[0]
            for path, field, arity in _related_fields(input_class()):
                found[(basename, action, path)] = SimpleNamespace(
                    basename=basename,
                    action=action,
                    method=method,
                    url_name=url_name,
                    model=viewset.queryset.model,
                    detail=detail,
                    path=path,
                    field=field,
                    arity=arity,
                )
    return sorted(found.values(), key=lambda f: (f.basename, f.action, f.path))


def _has_visibility(model) -> bool:
    return hasattr(model._default_manager.all(), "visible_to")


def test_every_input_related_field_looks_up_only_visible_objects():
    """A related field on a model with ``visible_to`` must be a ``Visible…Field``: a field that
    searched the whole table would tell a hidden object from a missing one."""
    fields = write_fields()
    assert len(fields) >= 20  # the walk finds the API's fields
    offenders = [
        (f.basename, f.action, f.path, type(f.field).__name__)
        for f in fields
        if not isinstance(f.field, VisibleRelatedFieldMixin) and _has_visibility(f.field.queryset.model)
    ]
    assert offenders == []


# --- hidden and missing, answered alike ----------------------------------------------------------------


def _everything_user(username, *, without=()):
    """Holds every permission (no superuser: superusers see everything) except ``without``."""
    user = UserFactory(username=username)
    user.user_permissions.set(Permission.objects.exclude(codename__in=without))
    return user


def _hidden_confidential(model, admin):
    """An object hidden from anyone outside a confidential incident's crisis team."""
    incident = IncidentFactory(confidential=True, title="Leaked memo")
    if model is Incident:
        return incident
    if model is Fact:
        return FactFactory(incident=incident)
    if model is PostmortemReview:
        from postmortems.services import postmortem_draft_for

        return postmortem_draft_for(incident=incident, actor=admin)
    return None


def _hidden_by_permission(model, admin):
    """An object every role reads: hidden only from someone without the view permission."""
    if model is Playbook:
        from playbooks.services import playbook_create

        return playbook_create(actor=admin, title="Hidden plan", trigger_criteria="Never")
    if model is KeyMessage:
        return KeyMessage.objects.create(topic="Refunds", body="We refund.", created_by=admin)
    if model is Person:
        return Person.objects.create(full_name="Hidden Person")
    if model is WatchTerm:
        return WatchTerm.objects.create(term="hidden-term")
    return None


def _detail_object(basename, admin):
    """An object of the endpoint's own kind that the actor may see (detail routes)."""
    from incidents.listening.services import spike_rule_save
    from playbooks.services import exercise_schedule, playbook_create

    if basename == "spikerule":
        term = WatchTerm.objects.create(term="acme")
        return spike_rule_save(actor=admin, data={"name": "r", "watch_term": term, "action": SpikeAction.NOTIFY})
    if basename in ("playbook", "playbookversion", "exercise"):
        playbook = playbook_create(actor=admin, title="Plan", trigger_criteria="Now")
        if basename == "playbook":
            return playbook
        if basename == "playbookversion":
            return playbook.versions.first()
        return exercise_schedule(actor=admin, playbook=playbook, title="Drill", scheduled_for=timezone.now())
    if basename == "person":
        return Person.objects.create(full_name="Visible Person")
    if basename == "actionitem":
        from postmortems.services import action_item_create, postmortem_draft_for

        review = postmortem_draft_for(incident=IncidentFactory(), actor=admin)
        return action_item_create(
            actor=admin, review_item=review, title="Fix", owner=admin, due_date=timezone.localdate()
        )
    if basename == "statement":
        from incidents.statements.services import statement_create

        return statement_create(
            actor=admin,
            incident=IncidentFactory(),
            channels=["x"],
            title="Holding line",
            body="We are looking into it.",
        )
    if basename == "mention-answer":
        from incidents.listening.models import Mention

        return Mention.objects.create(
            platform="x", external_id="uniform-1", text="Acme jar cracked", posted_at=timezone.now()
        )
    if basename == "alert":
        from incidents.listening.tests.alert_helpers import make_alert, make_rule

        return make_alert(make_rule(admin))
    if basename == "source":
        from incidents.listening.sources.models import Source

        return Source.objects.create(name="HN", kind="hackernews")
    raise AssertionError(f"no detail object for {basename}: add one here")


def _body(spec, value):
    """A body that names ``value`` in the field ``spec.path`` (nested lists hold one item)."""
    leaf = [value] if spec.arity == "many" else value
    for key in reversed(spec.path):
        leaf = [leaf] if key == 0 else {key: leaf}
    return leaf


def _masked(response, value) -> str:
    text = json.dumps(response.json(), sort_keys=True)
    return re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "<value>", text)


def _field_model(field):
    if field.queryset is not None:
        return field.queryset.model
    return field.visible_queryset(AnonymousUser()).model


def _visible(field, user):
    if isinstance(field, VisibleRelatedFieldMixin):
        return field.visible_queryset(user)
    return _field_model(field)._default_manager.all().visible_to(user)


# Every field that can name a hidden object, whether or not it is (yet) a Visible…Field.
VISIBLE_FIELDS = [
    f for f in write_fields() if isinstance(f.field, VisibleRelatedFieldMixin) or _has_visibility(_field_model(f.field))
]


@pytest.mark.parametrize("spec", VISIBLE_FIELDS, ids=lambda f: f"{f.basename}.{f.action}.{'.'.join(map(str, f.path))}")
def test_a_hidden_object_answers_exactly_like_a_missing_one(db, admin_user, spec):
    model = _field_model(spec.field)
    slug = getattr(spec.field, "slug_field", None)
    hidden = _hidden_confidential(model, admin_user)
    if hidden is not None:
        actor = _everything_user("insider")  # every permission, not on the confidential crisis team
    else:
        hidden = _hidden_by_permission(model, admin_user)
        assert hidden is not None, f"no hidden {model.__name__} for {spec}: add one to the test"
        actor = _everything_user("restricted", without=[f"view_{model._meta.model_name}"])
    assert not _visible(spec.field, actor).filter(pk=hidden.pk).exists()

    kwargs = {}
    if spec.detail:
        target = _detail_object(spec.basename, admin_user)
        kwargs = {"reference": target.reference} if spec.basename == "incident" else {"pk": target.pk}
    url = reverse(spec.url_name, kwargs=kwargs)
    client = APIClient()
    client.force_login(actor)
    hidden_value = getattr(hidden, slug) if slug else hidden.pk
    missing_value = MISSING_SLUG if slug else MISSING_PK

    send = getattr(client, spec.method)
    for_hidden = send(url, _body(spec, hidden_value), format="json")
    for_missing = send(url, _body(spec, missing_value), format="json")

    assert for_hidden.status_code == for_missing.status_code
    assert _masked(for_hidden, hidden_value) == _masked(for_missing, missing_value)
    if model is not spec.model:
        # The field was reached and refused (not a 403/404 that would make the comparison empty).
        assert for_hidden.status_code == 400, for_hidden.content
        assert spec.path[0] in for_hidden.json()
    # else: a person's backup is a person: whoever may not see one may not reach the endpoint either.
    assert "Leaked memo" not in for_hidden.content.decode()
