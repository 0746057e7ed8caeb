"""Routes of the response API, mounted at /api/v1/ (namespace ``api``)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from incidents.response.api import views

router = SimpleRouter()
router.register("response-targets", views.ResponseTargetViewSet, basename="responsetarget")

urlpatterns = [
    # A reference is letters, digits and dashes: anything else (a NUL byte…) is a 404 before the database sees it.
    re_path(
        r"^incidents/(?P<reference>[\w.-]{1,100})/clocks/$",
        views.IncidentClocksViewSet.as_view({"get": "retrieve"}, detail=True),
        name="incident-clocks",
    ),
    *router.urls,
]
