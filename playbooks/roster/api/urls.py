"""Routes of the roster API, mounted at /api/v1/ (namespace ``api``)."""

from rest_framework.routers import SimpleRouter

from playbooks.roster.api import views

router = SimpleRouter()
router.register("roster/people", views.PersonViewSet, basename="person")
router.register("roster/departments", views.DepartmentViewSet, basename="department")
router.register("roster/who-to-call", views.WhoToCallViewSet, basename="who-to-call")

urlpatterns = router.urls
