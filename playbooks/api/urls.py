"""Routes of the key message, playbook, roster and exercise API, mounted at /api/v1/ (namespace ``api``)."""

from rest_framework.routers import SimpleRouter

from playbooks.api import views as playbook_views
from playbooks.keymessages.api import views
from playbooks.roster.api import urls as roster_urls

router = SimpleRouter()
router.register("key-messages", views.KeyMessageViewSet, basename="keymessage")
router.register("playbooks", playbook_views.PlaybookViewSet, basename="playbook")
# Registered under the model name: the review engine links queue entries to ``api:<model>-detail``.
router.register("playbook-versions", playbook_views.PlaybookVersionViewSet, basename="playbookversion")
router.register("exercises", playbook_views.ExerciseViewSet, basename="exercise")

# The roster has its own routes; same prefix, same namespace.
urlpatterns = [*router.urls, *roster_urls.urlpatterns]
