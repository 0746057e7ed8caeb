"""A notification is shown in its reader's language, whatever the language of whoever caused it."""

import pytest
from django.utils import translation

from crisisdesk.notifications.messages import message, render
from crisisdesk.notifications.models import Notification
from crisisdesk.review import services as review
from crisisdesk.review.tests.helpers import make_statement

pytestmark = pytest.mark.django_db


def test_a_message_renders_nested_labels_and_numbers_in_the_active_language():
    label = message("%(reference)s statement “%(title)s”", {"reference": "CD-1", "title": "Jars"})
    text = message("Review requested: %s", [label])
    assert render(text) == "Review requested: CD-1 statement “Jars”"
    with translation.override("fr"):
        assert render(text) == "Relecture demandée\u202f: Déclaration CD-1 «\u202fJars\u202f»"
        count = message("Spike alert: “%(term)s”, %(count)d mentions", {"term": "Acme", "count": 3})
        assert render(count) == "Alerte de pic\u202f: «\u202fAcme\u202f», 3 mentions"
    assert render("plain text") == "plain text"


def test_a_french_author_submits_and_the_english_reader_reads_english_and_a_french_one_french(
    communicator, legal, incident, client
):
    statement = make_statement(author=communicator, incident=incident)
    with translation.override("fr"):
        review.review_submit(actor=communicator, item=statement)
    (notification,) = Notification.objects.filter(recipient=legal)
    # The stored text is in the site's language (English here), not in the author's.
    assert notification.text == f"Review requested: {incident.reference} statement “{statement.title}”"
    assert notification.display_text == notification.text
    with translation.override("fr"):
        assert notification.display_text.startswith(f"Relecture demandée\u202f: Déclaration {incident.reference}")
    client.force_login(legal)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Relecture demandée\u202f: Déclaration" in page
    assert "Review requested:" not in page
    translation.activate("en")


def test_a_row_without_message_shows_its_text():
    assert Notification(text="Old row").display_text == "Old row"
    broken = Notification(text="Fallback", message={"message": "%(missing)s", "params": {"other": 1}})
    assert broken.display_text == "Fallback"


def test_review_e_mails_are_written_in_the_site_language(communicator, legal, incident, mailoutbox, settings):
    legal.email = "legal@example.org"
    legal.save(update_fields=["email"])
    statement = make_statement(author=communicator, incident=incident)
    with translation.override("fr"), pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda callback, *a, **k: callback())
        review.review_submit(actor=communicator, item=statement)
    (mail,) = [m for m in mailoutbox if "legal@example.org" in m.to]
    assert mail.subject == f"Review requested: {incident.reference} statement “{statement.title}”"
