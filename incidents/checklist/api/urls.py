"""Route of the incident tasks API, mounted at /api/v1/ (namespace ``api``)."""

from rest_framework.routers import SimpleRouter

from incidents.checklist.api import views

router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="incidenttask")

urlpatterns = router.urls
