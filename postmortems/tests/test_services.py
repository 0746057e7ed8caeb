"""Post-crisis review services: the draft on resolution, edits, the review gate, blame words, action items."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from crisisdesk.exceptions import InvalidTransition
from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.testing.factories import UserFactory
from incidents import services as incident_services
from incidents.models import TimelineEntry
from incidents.statements.services import statement_create
from postmortems import services
from postmortems.models import ActionItemStatus, PostmortemReview
from postmortems.tests.helpers import published_review, resolved_review, second_team_lead


def _reload(item):
    return PostmortemReview.objects.get(pk=item.pk)


@pytest.mark.django_db
def test_resolving_an_incident_drafts_its_review_once(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    assert item.status == ReviewStatus.DRAFT
    assert item.created_by == team_lead
    assert item.current_revision.number == 1
    assert item.title.endswith(incident.title)
    # Re-opened and resolved again: still the one review.
    incident.refresh_from_db()
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status="responding")
    incident.refresh_from_db()
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status="resolved")
    assert PostmortemReview.objects.filter(incident=incident).count() == 1
    assert services.postmortem_draft_for(incident=incident, actor=team_lead).pk == item.pk


@pytest.mark.django_db
def test_no_review_before_resolution(team_lead, incident):
    incident_services.incident_change_status(actor=team_lead, incident=incident, to_status="investigating")
    assert not PostmortemReview.objects.filter(incident=incident).exists()


@pytest.mark.django_db
def test_edit_makes_a_revision_and_voids_an_approval(team_lead, incident):
    other = second_team_lead()
    item = resolved_review(lead=team_lead, incident=incident)
    item = services.postmortem_update(actor=team_lead, review_item=item, summary="Jar cracked.\r\nVideo went viral.")
    assert item.current_revision.number == 2
    assert item.summary == "Jar cracked.\nVideo went viral."
    review.review_submit(actor=team_lead, item=item)
    review.review_approve(actor=other, item=item, revision=_reload(item).current_revision)
    assert _reload(item).status == ReviewStatus.APPROVED
    item = services.postmortem_update(actor=team_lead, review_item=_reload(item), lessons="Pre-approve a holding line.")
    assert item.status == ReviewStatus.DRAFT
    assert review.missing_requirements(item)


@pytest.mark.django_db
def test_unknown_field_refused(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    with pytest.raises(ValidationError):
        services.postmortem_update(actor=team_lead, review_item=item, status="published")


@pytest.mark.django_db
def test_author_cannot_approve_their_review(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    review.review_submit(actor=team_lead, item=item)
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=team_lead, item=item, revision=_reload(item).current_revision)
    assert _reload(item).status == ReviewStatus.IN_REVIEW


@pytest.mark.django_db
def test_an_editor_cannot_approve_either(team_lead, communicator, legal, incident):
    other = second_team_lead()
    item = resolved_review(lead=team_lead, incident=incident)
    services.postmortem_update(actor=other, review_item=item, summary="Edited by the second lead.")
    review.review_submit(actor=team_lead, item=_reload(item))
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=other, item=item, revision=_reload(item).current_revision)
    # Legal, who wrote nothing, may.
    review.review_approve(actor=legal, item=item, revision=_reload(item).current_revision)
    assert _reload(item).status == ReviewStatus.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["communicator", "observer", "outsider", "admin_user"])
def test_only_team_leads_and_legal_approve(request, persona, team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    review.review_submit(actor=team_lead, item=item)
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=user, item=item, revision=_reload(item).current_revision)


@pytest.mark.django_db
def test_another_team_lead_approves_and_the_author_publishes(team_lead, incident):
    item = published_review(author=team_lead, approver=second_team_lead(), incident=incident, lessons="Hold lines.")
    assert item.status == ReviewStatus.PUBLISHED
    assert item.published_revision == item.current_revision
    notes = TimelineEntry.objects.filter(incident=incident, data__postmortem=item.pk)
    assert notes.filter(data__action="publish").exists()


@pytest.mark.django_db
def test_publish_needs_the_approval(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    review.review_submit(actor=team_lead, item=item)
    with pytest.raises(InvalidTransition):
        review.review_publish(actor=team_lead, item=_reload(item))


@pytest.mark.django_db
def test_communicator_edits_and_submits_but_does_not_publish(team_lead, communicator, legal, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    services.postmortem_update(actor=communicator, review_item=item, summary="Written by comms.")
    review.review_submit(actor=communicator, item=_reload(item))
    review.review_approve(actor=legal, item=item, revision=_reload(item).current_revision)
    with pytest.raises(PermissionDenied):
        review.review_publish(actor=communicator, item=_reload(item))


@pytest.mark.django_db
def test_observer_cannot_edit(team_lead, observer, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    with pytest.raises(PermissionDenied):
        services.postmortem_update(actor=observer, review_item=item, summary="x")


def test_blame_words_are_flagged_not_blocked():
    assert services.blame_words("It was Bob's fault; careless and Careless again.") == ["fault", "careless"]
    assert services.blame_words("The parser lacked a size limit.") == []


@pytest.mark.django_db
def test_blame_words_do_not_block_saving(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    item = services.postmortem_update(actor=team_lead, review_item=item, root_causes="The agent was careless.")
    assert item.root_causes == "The agent was careless."
    assert services.wording_warnings(item) == {"root_causes": ["careless"]}


# --- action items ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_team_lead_adds_action_items_others_do_not(team_lead, communicator, observer, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    action = services.action_item_create(
        actor=team_lead, review_item=item, title="Add a size check", owner=communicator, due_date=date(2026, 12, 1)
    )
    assert action.status == ActionItemStatus.OPEN
    for user in (communicator, observer):
        with pytest.raises(PermissionDenied):
            services.action_item_create(
                actor=user, review_item=item, title="x", owner=communicator, due_date=date(2026, 12, 1)
            )


@pytest.mark.django_db
def test_owner_without_role_refused(team_lead, outsider, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    with pytest.raises(ValidationError):
        services.action_item_create(
            actor=team_lead, review_item=item, title="x", owner=outsider, due_date=date(2026, 12, 1)
        )


@pytest.mark.django_db
def test_owner_moves_status_and_closing_the_last_is_logged(team_lead, communicator, observer, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    first = services.action_item_create(
        actor=team_lead, review_item=item, title="Size check", owner=communicator, due_date=date(2026, 12, 1)
    )
    second = services.action_item_create(
        actor=team_lead, review_item=item, title="Update playbook", owner=team_lead, due_date=date(2026, 12, 1)
    )
    with pytest.raises(PermissionDenied):
        services.action_item_set_status(actor=observer, action_item=first, status=ActionItemStatus.DONE)
    services.action_item_set_status(actor=communicator, action_item=first, status=ActionItemStatus.IN_PROGRESS)
    services.action_item_set_status(actor=communicator, action_item=first, status=ActionItemStatus.DONE)
    all_closed = TimelineEntry.objects.filter(incident=incident, data__all_action_items_closed=True)
    assert not all_closed.exists()
    services.action_item_set_status(actor=team_lead, action_item=second, status=ActionItemStatus.WONT_DO)
    assert all_closed.count() == 1
    first.refresh_from_db()
    assert first.closed_at is not None
    with pytest.raises(InvalidTransition):
        services.action_item_set_status(actor=team_lead, action_item=first, status=ActionItemStatus.DONE)
    services.action_item_set_status(actor=team_lead, action_item=first, status=ActionItemStatus.OPEN)
    first.refresh_from_db()
    assert first.closed_at is None


@pytest.mark.django_db
def test_overdue(team_lead, communicator, incident):
    from postmortems.models import ActionItem

    item = resolved_review(lead=team_lead, incident=incident)
    yesterday = date.today() - timedelta(days=1)
    late = services.action_item_create(
        actor=team_lead, review_item=item, title="Late", owner=communicator, due_date=yesterday
    )
    services.action_item_create(
        actor=team_lead, review_item=item, title="Fine", owner=communicator, due_date=date.today() + timedelta(days=3)
    )
    assert list(ActionItem.objects.overdue()) == [late]
    assert late.is_overdue()


@pytest.mark.django_db
def test_action_item_links_a_playbook(team_lead, communicator, incident):
    from playbooks.models import Playbook

    playbook = Playbook.objects.create(title="Product safety", owner=team_lead, created_by=team_lead)
    item = resolved_review(lead=team_lead, incident=incident)
    action = services.action_item_create(
        actor=team_lead,
        review_item=item,
        title="Add a recall step",
        owner=communicator,
        due_date=date(2026, 12, 1),
        playbook=playbook,
    )
    assert action.playbook == playbook
    assert list(playbook.action_items.all()) == [action]


@pytest.mark.django_db
def test_confidential_review_is_not_reviewable_by_outsiders_of_the_team(team_lead, legal, confidential_incident):
    item = resolved_review(lead=team_lead, incident=confidential_incident)
    review.review_submit(actor=team_lead, item=item)
    # Legal is not on the confidential incident's team: cannot see it, so cannot approve it.
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=legal, item=item, revision=_reload(item).current_revision)
    outsider_lead = UserFactory(username="lead3", role="Team lead")
    with pytest.raises(PermissionDenied):
        review.review_approve(actor=outsider_lead, item=item, revision=_reload(item).current_revision)


@pytest.mark.django_db
def test_the_drafted_title_is_in_the_crisis_language_not_the_resolver_s(team_lead, incident):
    statement_create(
        actor=team_lead,
        incident=incident,
        channels=["website"],
        title="Bocaux fêlés",
        body="Nous enquêtons.",
        language="fr",
    )
    with translation.override("en"):  # an English API client, or the demo's seeding command
        item = resolved_review(lead=team_lead, incident=incident)
    assert item.title == f"Retour d’expérience : {incident.title}"
    assert "Review:" not in item.title


@pytest.mark.django_db
def test_without_statement_the_title_is_in_the_deployment_language(settings, team_lead, incident):
    settings.LANGUAGE_CODE = "fr"
    with translation.override("en"):
        item = resolved_review(lead=team_lead, incident=incident)
    assert item.title == f"Retour d’expérience : {incident.title}"
    assert services.review_language(incident) == "fr"
