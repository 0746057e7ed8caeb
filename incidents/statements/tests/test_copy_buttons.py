"""Copy buttons on the statement page (issue 17): hidden until static/js/copy.js finds the Clipboard API,
so without JavaScript the page shows the selectable text and no dead button."""

import re

import pytest

from crisisdesk.review.tests.helpers import make_statement

pytestmark = pytest.mark.django_db


def test_every_channel_text_has_a_hidden_copy_button_and_a_live_status(client, communicator, incident):
    statement = make_statement(author=communicator, incident=incident, channels=["x", "website"])
    client.force_login(communicator)
    html = client.get(f"/incidents/{incident.reference}/statements/{statement.pk}/").content.decode()

    texts = re.findall(r'<textarea class="[^"]*cd-copy" id="(copy-[a-z_]+)" rows="4" readonly>', html)
    assert texts == ["copy-x", "copy-website"]
    for target in texts:
        button = re.search(
            rf'<button type="button" class="[^"]*cd-copy-button" data-copy-target="{target}"[^>]*>', html
        )
        assert button and button.group(0).endswith(" hidden>")
        assert f'id="copy-status-{target[5:]}" aria-live="polite"' in html
    assert re.search(r'<script src="/static/js/copy\.js[^"]*" defer></script>', html)


def test_an_outsider_gets_no_statement_page(client, outsider, communicator, incident):
    statement = make_statement(author=communicator, incident=incident)
    client.force_login(outsider)
    assert client.get(f"/incidents/{incident.reference}/statements/{statement.pk}/").status_code == 404
