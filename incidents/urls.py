"""Browser URLs of incidents (namespace ``incidents``); the war room's actions are small POST endpoints under the incident.

The checklist and the statements add their own routes under the incident, in the same namespace.
"""

from django.urls import path

from incidents import views
from incidents.checklist import urls as checklist_urls
from incidents.statements import urls as statement_urls

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("new/", views.IncidentCreateView.as_view(), name="create"),
    path("<str:reference>/", views.WarRoomView.as_view(), name="detail"),
    path("<str:reference>/edit/", views.IncidentEditView.as_view(), name="edit"),
    path("<str:reference>/transition/", views.TransitionView.as_view(), name="transition"),
    path("<str:reference>/acknowledge/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("<str:reference>/severity/", views.SeverityView.as_view(), name="severity"),
    path("<str:reference>/lead/", views.SetLeadView.as_view(), name="set_lead"),
    path("<str:reference>/notes/", views.AddNoteView.as_view(), name="add_note"),
    path("<str:reference>/team/", views.AddMemberView.as_view(), name="add_member"),
    path("<str:reference>/team/manage/", views.ManageTeamView.as_view(), name="manage_team"),
    path("<str:reference>/team/<int:pk>/remove/", views.RemoveMemberView.as_view(), name="remove_member"),
    path("<str:reference>/facts/", views.AddFactView.as_view(), name="add_fact"),
    path("<str:reference>/facts/<int:pk>/verify/", views.VerifyFactView.as_view(), name="verify_fact"),
    *checklist_urls.urlpatterns,
    *statement_urls.urlpatterns,
]
