"""Statement routes under an incident (mounted by ``incidents/urls.py``, namespace ``incidents``).

The public newsroom has its own URLs, in ``incidents/statements/newsroom.py``.
"""

from django.urls import path

from incidents.statements import views as statement_views

urlpatterns = [
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
