"""Browser URLs of social listening, mounted at /mentions/ (namespace ``mentions``)."""

from django.urls import path
from django.views.generic import RedirectView

from incidents.listening import alert_views, views
from incidents.listening.sources import views as source_views

app_name = "mentions"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("triage/", views.BulkTriageView.as_view(), name="triage"),
    path("open-incident/", views.OpenIncidentView.as_view(), name="open_incident"),
    path("import/", views.CSVUploadView.as_view(), name="import"),
    path("terms/", views.WatchTermsView.as_view(), name="terms"),
    path("terms/<int:pk>/toggle/", views.WatchTermToggleView.as_view(), name="term_toggle"),
    path("terms/<int:pk>/chart/", views.TermChartView.as_view(), name="term_chart"),
    path("rules/", views.SpikeRuleListView.as_view(), name="rules"),
    path("rules/new/", views.SpikeRuleFormView.as_view(), name="rule_create"),
    path("rules/<int:pk>/", views.SpikeRuleFormView.as_view(), name="rule_edit"),
    # The first version's feeds page: feeds are listening sources now (bookmarks still land).
    path("feeds/", RedirectView.as_view(pattern_name="mentions:sources", permanent=True), name="feeds"),
    path("sources/", source_views.SourceListView.as_view(), name="sources"),
    path("sources/new/", source_views.SourceFormView.as_view(), name="source_create"),
    path("sources/<int:pk>/", source_views.SourceDetailView.as_view(), name="source"),
    path("sources/<int:pk>/edit/", source_views.SourceFormView.as_view(), name="source_edit"),
    path(
        "sources/<int:pk>/<str:verb>/",
        source_views.SourceActionView.as_view(),
        name="source_action",
    ),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert"),
    path("alerts/<int:pk>/open-incident/", alert_views.AlertOpenIncidentView.as_view(), name="alert_open_incident"),
    path("alerts/<int:pk>/attach/", alert_views.AlertAttachView.as_view(), name="alert_attach"),
    path("alerts/<int:pk>/dismiss/", alert_views.AlertDismissView.as_view(), name="alert_dismiss"),
    path("incident/<str:reference>/chart/", views.IncidentChartView.as_view(), name="incident_chart"),
    path("<int:pk>/", views.MentionDetailView.as_view(), name="detail"),
    path("<int:pk>/answer/", views.RecordAnswerView.as_view(), name="answer"),
    path("<int:pk>/answer-privately/", views.AnswerPrivatelyView.as_view(), name="answer_privately"),
]
