"""Browser URLs of post-crisis reviews, action items, the lessons library and the metrics dashboard."""

from django.urls import path

from postmortems import views
from postmortems.evidence.views import EvidencePackDownloadView

app_name = "postmortems"

urlpatterns = [
    path("", views.PostmortemListView.as_view(), name="list"),
    path("library/", views.LibraryView.as_view(), name="library"),
    path("metrics/", views.MetricsView.as_view(), name="metrics"),
    path("action-items/mine/", views.MyActionItemsView.as_view(), name="my_actions"),
    path("action-items/<int:pk>/edit/", views.ActionItemEditView.as_view(), name="action_edit"),
    path("action-items/<int:pk>/status/", views.ActionItemStatusView.as_view(), name="action_status"),
    path("<int:pk>/", views.PostmortemDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PostmortemEditView.as_view(), name="edit"),
    path("<int:pk>/refresh-impact/", views.PostmortemRefreshImpactView.as_view(), name="refresh_impact"),
    path("<int:pk>/transition/", views.PostmortemTransitionView.as_view(), name="transition"),
    path("<int:pk>/action-items/new/", views.ActionItemCreateView.as_view(), name="action_create"),
    path("<int:pk>/print/", views.PostmortemPrintView.as_view(), name="print"),
    path("evidence/<str:reference>/", EvidencePackDownloadView.as_view(), name="evidence_pack"),
    path("<int:pk>/export.md", views.PostmortemMarkdownView.as_view(), name="markdown"),
]
