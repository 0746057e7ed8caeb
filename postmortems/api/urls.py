"""Routes of the post-crisis review API, mounted at /api/v1/ (namespace ``api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from postmortems.api import views
from postmortems.evidence.api import EvidencePackView

router = SimpleRouter()
# Registered under the model name, so the review queue API links its entries here.
router.register("postmortems", views.PostmortemViewSet, basename="postmortemreview")
router.register("action-items", views.ActionItemViewSet, basename="actionitem")

urlpatterns = [
    path("postmortem-metrics/", views.MetricsView.as_view(), name="postmortem-metrics"),
    path("incidents/<str:reference>/evidence-pack/", EvidencePackView.as_view(), name="incident-evidence-pack"),
    *router.urls,
]
