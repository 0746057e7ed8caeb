"""What a newcomer sees on the first run: demo links on the served port, the role lines, form help, empty states."""

import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from incidents.demo.users import DEMO_USERS
from incidents.forms import IncidentCreateForm

URL = re.compile(r"https?://[^\s'\"]+")


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_every_printed_link_uses_the_given_port(fast_passwords):
    out = StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8203/", stdout=out)
    urls = URL.findall(out.getvalue())
    # The site, the newsroom, the API keys page, the API docs, the admin and the curl examples.
    assert len(urls) >= 7
    paths = {u.removeprefix("http://127.0.0.1:8203").rstrip("),") for u in urls}
    assert {"/", "/newsroom/", "/api/v1/docs/", "/admin/", "/api/v1/auth/token/", "/api-keys/"} <= paths
    assert all(u.startswith("http://127.0.0.1:8203/") for u in urls), urls
    assert ":8000" not in out.getvalue()


def test_make_demo_passes_its_host_and_port_to_seed_demo():
    # -n: print the commands only; -o: the venv counts as installed (nothing is built or run).
    dry_run = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "demo", "PORT=8203"],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'seed_demo --base-url "http://127.0.0.1:8203"' in dry_run
    assert "runserver 127.0.0.1:8203" in dry_run
    assert "8000" not in dry_run


def _can_do(username: str) -> str:
    return str(next(u.can_do for u in DEMO_USERS if u.username == username))


def test_each_role_line_names_its_real_job():
    legal = _can_do("legal")
    assert legal.startswith("Approve") and "statements" in legal and "key messages" in legal
    comms = _can_do("comms")
    assert "draft statements" in comms and "submit them to Legal" in comms and "mentions" in comms
    lead = _can_do("lead")
    assert "severity 1" in lead and "approves playbooks" in lead and "webhooks" in lead
    assert _can_do("observer").startswith("Read-only")


@pytest.mark.django_db
def test_the_role_lines_are_printed(fast_passwords):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    for user in DEMO_USERS:
        assert str(user.can_do) in out.getvalue()


def test_detected_at_help_says_what_the_prefilled_value_means():
    form = IncidentCreateForm()
    field = form.fields["detected_at"]
    assert form.initial["detected_at"] is not None and not field.required
    assert "defaults to now" in str(field.help_text)
    assert "Leave empty" not in str(field.help_text)


EMPTY_SENTENCES = ["No facts registered yet.", "No one on the team yet.", "No statement yet.", "Nothing logged yet."]


@pytest.mark.django_db
def test_empty_war_room_lists_are_sentences_not_list_items(client_for, team_lead, incident):
    response = client_for(team_lead).get(reverse("incidents:detail", kwargs={"reference": incident.reference}))
    assert response.status_code == 200
    html = response.content.decode()
    checklist = re.search(r'<section class="[^"]*cd-checklist.*?</section>', html, re.S)
    assert checklist is not None
    assert not re.search(r"<(ol|ul|li)\b", checklist.group(0))
    assert re.search(r'<p class="[^"]*cd-empty[^"]*">No playbook activated yet.</p>', checklist.group(0))
    for sentence in EMPTY_SENTENCES:
        assert re.search(rf'<p class="[^"]*cd-empty[^"]*">{re.escape(sentence)}</p>', html), sentence
        assert not re.search(rf"<li\b[^>]*>\s*{re.escape(sentence)}", html), sentence
