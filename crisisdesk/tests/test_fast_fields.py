"""``|as_field`` writes what crispy's ``|as_crispy_field`` writes (Bootstrap 5), for every field it renders itself.

The list pages' filter forms use it (incident list, mention inbox); the HTML is compared element by element
(``assertHTMLEqual``: same tags, attributes, classes, text), unbound, bound and valid, bound with errors.
"""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test import RequestFactory
from django.test.html import parse_html

from crisisdesk.templatetags.fast_fields import _fast_path, as_field
from crisisdesk.testing.factories import IncidentFactory
from incidents.filtersets import IncidentFilterSet
from incidents.listening.filtersets import MentionFilterSet
from incidents.listening.forms import BulkTriageForm
from incidents.listening.models import Mention
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def _filter_forms(team_lead, query):
    request = RequestFactory().get("/", query)
    request.user = team_lead
    return [
        lambda: (
            IncidentFilterSet(
                request.GET or None, queryset=Incident.objects.visible_to(team_lead), request=request
            ).form
        ),
        lambda: (
            MentionFilterSet(request.GET or None, queryset=Mention.objects.visible_to(team_lead), request=request).form
        ),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "recall", "status": ["detected", "responding"], "severity": "1", "min_audience": "10"},
        {
            "detected_after": "not a date",
            "status": "nonsense",
            "lead": "999999",
            "min_audience": "-x",
            "incident": "NOPE",
        },
    ],
    ids=["unbound", "valid", "errors"],
)
def test_filter_forms_render_as_crispy_does(team_lead, query):
    IncidentFactory(lead=team_lead)
    for make in _filter_forms(team_lead, query):
        form = make()
        twin = make()
        if query.get("detected_after") == "not a date":
            form.is_valid(), twin.is_valid()
            assert form.errors, "the invalid query must give errors to compare"
        for bound_field in form:
            expected = parse_html(str(as_crispy_field(twin[bound_field.name])))
            assert parse_html(str(as_field(bound_field))) == expected, bound_field.name


def test_triage_form_renders_as_crispy_does(team_lead):
    IncidentFactory(lead=team_lead)
    form, twin = BulkTriageForm(user=team_lead), BulkTriageForm(user=team_lead)
    for bound_field in form:
        assert parse_html(str(as_field(bound_field))) == parse_html(str(as_crispy_field(twin[bound_field.name])))


class _Shapes(forms.Form):
    name = forms.CharField(label="Name & <title>", help_text="Say <em>who</em>.", required=True)
    count = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"class": "narrow"}))
    agree = forms.BooleanField(required=False)
    colours = forms.MultipleChoiceField(choices=[("r", "Red")], widget=forms.CheckboxSelectMultiple, required=False)


@pytest.mark.parametrize("data", [None, {"count": "x"}], ids=["unbound", "errors"])
def test_required_help_text_own_classes_and_the_fields_left_to_crispy(data):
    form, twin = _Shapes(data), _Shapes(data)
    for bound_field in form:
        assert parse_html(str(as_field(bound_field))) == parse_html(str(as_crispy_field(twin[bound_field.name])))
    # Checkboxes and checkbox lists are crispy's own (another template): handed over, not imitated.
    assert [name for name in form.fields if _fast_path(form[name])] == ["name", "count"]


@pytest.mark.parametrize("data", [None, {"kind": "nonsense", "body": ""}, {"severity": "9", "comment": "x" * 5000}])
def test_war_room_forms_render_as_crispy_does(data):
    from incidents.forms import NoteForm, SeverityForm

    for form_class in (NoteForm, SeverityForm):
        form, twin = form_class(data), form_class(data)
        if data:
            form.is_valid(), twin.is_valid()
        for bound_field in form:
            assert _fast_path(bound_field), bound_field.name
            assert parse_html(str(as_field(bound_field))) == parse_html(str(as_crispy_field(twin[bound_field.name])))
