"""The registry of reviewable kinds: what the apps register, lookups and refusals, the review pages it drives, the check."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from crisisdesk.review import registry
from crisisdesk.review import services as review
from crisisdesk.review.checks import check_reviewable_kinds
from crisisdesk.review.registry import ReviewableKind
from crisisdesk.review.selectors import reviewable_models
from incidents.statements.models import Statement
from incidents.statements.review import StatementKind
from playbooks.models import KeyMessage, PlaybookVersion
from postmortems.models import PostmortemReview
from postmortems.tests.helpers import resolved_review

from .helpers import make_key_message, second_communicator


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the registry this test may change; the apps' registry is back afterwards."""
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    return registry


class Thing:
    """Not a model: the registry itself asks nothing of a kind's model but ``isinstance``."""


class SubThing(Thing):
    pass


# --- what the apps register ---------------------------------------------------------------------------


def test_the_apps_register_one_kind_per_reviewable_model():
    assert {kind.slug: kind.model for kind in registry.kinds()} == {
        "statement": Statement,
        "keymessage": KeyMessage,
        "playbookversion": PlaybookVersion,
        "postmortemreview": PostmortemReview,
    }
    assert {kind.model for kind in registry.kinds()} == set(reviewable_models())


def test_get_finds_a_kind_by_its_slug_and_refuses_an_unknown_one():
    assert registry.get("statement").model is Statement
    assert str(registry.get("keymessage").label) == "Key message"
    with pytest.raises(LookupError):
        registry.get("playbook")


def test_kind_of_an_item_or_a_model():
    assert registry.kind_of(Statement()).slug == "statement"
    assert registry.kind_of(PostmortemReview).slug == "postmortemreview"
    with pytest.raises(LookupError):
        registry.kind_of(Thing())


def test_the_kind_is_still_importable_from_the_views():
    from crisisdesk.review import views

    assert views.ReviewableKind is ReviewableKind
    assert views.kind_of is registry.kind_of


# --- registering ------------------------------------------------------------------------------------------


def test_register_adds_a_kind_found_by_slug_and_by_instance(scratch_registry):
    kind = ReviewableKind("thing", "Thing", Thing)
    assert registry.register(kind) is kind
    assert registry.get("thing") is kind
    assert registry.kind_of(SubThing()) is kind
    assert registry.kinds()[-1] is kind
    assert kind.origin(Thing()) is None
    assert kind.review_context(Thing(), {}, {}) == {}
    assert kind.value_labels(Thing(), {}) == {}


def test_registering_the_same_kind_again_is_a_no_op(scratch_registry):
    before = registry.kinds()
    assert registry.register(StatementKind()) is registry.get("statement")
    assert registry.kinds() == before


def test_a_slug_or_a_model_another_kind_has_is_refused(scratch_registry):
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register(ReviewableKind("statement", "Other", Thing))
    with pytest.raises(ImproperlyConfigured, match="already has"):
        registry.register(ReviewableKind("statement-again", "Statement again", Statement))
    with pytest.raises(TypeError):
        registry.register("statement")
    assert registry.kind_of(Statement).slug == "statement"


# --- the review pages follow the registry ---------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_slug_is_404_on_the_review_page_and_the_audit_trail(client_for, legal):
    client = client_for(legal)
    key_message = make_key_message(author=second_communicator())
    review.review_submit(actor=key_message.created_by, item=key_message)
    assert client.get(reverse("review:review", kwargs={"kind": "keymessage", "pk": key_message.pk})).status_code == 200
    for name in ("review:review", "review:audit"):
        assert client.get(reverse(name, kwargs={"kind": "playbook", "pk": key_message.pk})).status_code == 404


@pytest.mark.django_db
def test_a_kind_no_app_registered_has_no_pages(scratch_registry, client_for, legal):
    key_message = make_key_message(author=second_communicator())
    review.review_submit(actor=key_message.created_by, item=key_message)
    del registry._registry["keymessage"]
    client = client_for(legal)
    for name in ("review:review", "review:audit"):
        assert client.get(reverse(name, kwargs={"kind": "keymessage", "pk": key_message.pk})).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [("team_lead", 200), ("legal", 404), ("observer", 404)])
def test_a_confidential_post_crisis_review_pages_show_only_to_its_team(
    request, client_for, team_lead, confidential_incident, persona, status
):
    item = resolved_review(lead=team_lead, incident=confidential_incident)
    client = client_for(request.getfixturevalue(persona))
    for name in ("review:review", "review:audit"):
        assert client.get(reverse(name, kwargs={"kind": "postmortemreview", "pk": item.pk})).status_code == status


# --- the system check -----------------------------------------------------------------------------------


def test_the_check_passes_when_every_reviewable_model_has_a_kind():
    assert check_reviewable_kinds(None) == []


def test_the_check_fails_for_a_reviewable_model_without_a_kind(scratch_registry):
    del registry._registry["postmortemreview"]
    errors = check_reviewable_kinds(None)
    assert [(error.id, error.obj) for error in errors] == [("review.E001", PostmortemReview)]
    assert errors[0].is_serious()
    assert "postmortems.PostmortemReview" in errors[0].msg
    # Asked about other apps only, it has nothing to say.
    assert check_reviewable_kinds([apps.get_app_config("incidents")]) == []


def test_manage_py_check_runs_it(scratch_registry):
    del registry._registry["statement"]
    with pytest.raises(SystemCheckError, match="review.E001"):
        call_command("check")
