"""Routes of the response API, mounted at /api/v1/ (namespace ``api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.response.api import views

router = SimpleRouter()
router.register("response-targets", views.ResponseTargetViewSet, basename="responsetarget")

urlpatterns = [
    path(
        "incidents/<str:reference>/clocks/",
        views.IncidentClocksViewSet.as_view({"get": "retrieve"}, detail=True),
        name="incident-clocks",
    ),
    *router.urls,
]
