"""The review's impact fields come from the mention data: on the draft, and by "Refresh from data"."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crisisdesk.testing.factories import IncidentFactory
from incidents.listening.models import Mention
from postmortems import services
from postmortems.models import PostmortemReview
from postmortems.tests.helpers import resolved_review

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def mentions(incident):
    rows = [(0, 10, "negative", -0.5), (10, 20, "negative", -0.4), (59, 30, "positive", 0.5), (61, 40, None, None)]
    for i, (minute, audience, label, score) in enumerate(rows):
        Mention.objects.create(
            platform="x",
            external_id=f"{incident.pk}-{i}",
            text="Acme",
            posted_at=T + timedelta(minutes=minute),
            incident=incident,
            audience=audience,
            sentiment=score,
            sentiment_label=label or "neutral",
        )


def test_the_draft_is_filled_from_the_data(team_lead, incident):
    mentions(incident)
    item = resolved_review(lead=team_lead, incident=incident)
    assert (item.impact_reach, item.impact_peak_mentions, item.impact_sentiment) == (100, 3, "negative")


def test_refresh_fills_empty_fields_and_keeps_typed_ones(team_lead, incident):
    item = resolved_review(lead=team_lead, incident=incident)  # no mentions yet: reach 0, peak 0, unknown
    item = services.postmortem_update(actor=team_lead, review_item=item, impact_reach=123_456, impact_sentiment="")
    item = PostmortemReview.objects.get(pk=item.pk)
    mentions(incident)
    before = item.current_revision.number
    item, changed = services.postmortem_refresh_impact(actor=team_lead, review_item=item)
    assert changed == ["impact_sentiment"]  # peak was measured 0 and is not empty; reach was typed
    assert (item.impact_reach, item.impact_sentiment) == (123_456, "negative")
    assert item.current_revision.number == before + 1
    item, changed = services.postmortem_refresh_impact(actor=team_lead, review_item=item, overwrite=True)
    assert changed == ["impact_peak_mentions", "impact_reach"]
    assert (item.impact_reach, item.impact_peak_mentions) == (100, 3)
    same, changed = services.postmortem_refresh_impact(actor=team_lead, review_item=item, overwrite=True)
    assert changed == [] and same.current_revision_id == item.current_revision_id


def test_exercise_review_gets_no_measured_impact(team_lead):
    drill = IncidentFactory(is_exercise=True, lead=team_lead)
    mentions(drill)
    item = resolved_review(lead=team_lead, incident=drill)
    assert (item.impact_reach, item.impact_peak_mentions, item.impact_sentiment) == (None, None, "")
    _item, changed = services.postmortem_refresh_impact(actor=team_lead, review_item=item, overwrite=True)
    assert changed == []


def test_refresh_needs_the_edit_right(team_lead, observer, outsider, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    for user in (observer, outsider):
        with pytest.raises(PermissionDenied):
            services.postmortem_refresh_impact(actor=user, review_item=item)


def test_refresh_button_and_outsider_404(client_for, team_lead, outsider, incident):
    item = resolved_review(lead=team_lead, incident=incident)
    item = services.postmortem_update(actor=team_lead, review_item=item, impact_reach=None)
    mentions(incident)
    url = reverse("postmortems:refresh_impact", args=[item.pk])
    assert client_for(outsider).post(url).status_code == 404
    response = client_for(team_lead).post(url)
    assert response.status_code == 302
    assert PostmortemReview.objects.get(pk=item.pk).impact_reach == 100
    page = client_for(team_lead).get(item.get_absolute_url()).content.decode()
    assert 'id="refresh-impact"' in page and "Also replace values typed by hand" in page
