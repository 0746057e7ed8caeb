"""Browser URLs of incidents; the war room's actions are small POST endpoints under the incident."""

from django.urls import path

from incidents import views
from incidents.statements import views as statement_views
from playbooks import views as task_views

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
    path("<str:reference>/team/<int:pk>/remove/", views.RemoveMemberView.as_view(), name="remove_member"),
    path("<str:reference>/facts/", views.AddFactView.as_view(), name="add_fact"),
    path("<str:reference>/facts/<int:pk>/verify/", views.VerifyFactView.as_view(), name="verify_fact"),
    # The checklist: playbook activation and its tasks (views in playbooks.views).
    path("<str:reference>/tasks/activate/", task_views.ActivatePlaybookView.as_view(), name="activate_playbook"),
    path("<str:reference>/tasks/<int:pk>/complete/", task_views.TaskCompleteView.as_view(), name="task_complete"),
    path("<str:reference>/tasks/<int:pk>/skip/", task_views.TaskSkipView.as_view(), name="task_skip"),
    path("<str:reference>/tasks/<int:pk>/reopen/", task_views.TaskReopenView.as_view(), name="task_reopen"),
    path("<str:reference>/tasks/<int:pk>/assign/", task_views.TaskAssignView.as_view(), name="task_assign"),
    # Statements of the incident and the audit trail of their review.
    path("<str:reference>/audit/", statement_views.IncidentAuditView.as_view(), name="audit"),
    path("<str:reference>/statements/new/", statement_views.StatementCreateView.as_view(), name="statement_create"),
    path(
        "<str:reference>/statements/new/from-key-message/",
        statement_views.StatementKeyMessagePickView.as_view(),
        name="statement_pick_key_message",
    ),
    path(
        "<str:reference>/statements/<int:pk>/", statement_views.StatementDetailView.as_view(), name="statement_detail"
    ),
    path(
        "<str:reference>/statements/<int:pk>/edit/", statement_views.StatementEditView.as_view(), name="statement_edit"
    ),
    path(
        "<str:reference>/statements/<int:pk>/transition/",
        statement_views.StatementTransitionView.as_view(),
        name="statement_transition",
    ),
    path(
        "<str:reference>/statements/<int:pk>/live-url/",
        statement_views.StatementRecordUrlView.as_view(),
        name="statement_record_url",
    ),
]
