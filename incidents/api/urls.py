"""Routes of the incidents API, mounted at /api/v1/ (namespace ``api``)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from incidents.api import views
from incidents.listening.api import views as listening_views
from incidents.listening.api import views as mention_views
from incidents.listening.sources import inbound
from incidents.listening.sources.api import views as source_views
from incidents.statements.api import views as statement_views

router = DefaultRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("timeline", views.TimelineEntryViewSet, basename="timelineentry")
router.register("facts", views.FactViewSet, basename="fact")
router.register("incident-roles", views.IncidentRoleViewSet, basename="incidentrole")
router.register("statements", statement_views.StatementViewSet, basename="statement")
router.register("mentions", mention_views.MentionViewSet, basename="mention")
router.register("watch-terms", listening_views.WatchTermViewSet, basename="watchterm")
router.register("spike-rules", listening_views.SpikeRuleViewSet, basename="spikerule")
router.register("alerts", listening_views.AlertViewSet, basename="alert")
router.register("sources", source_views.SourceViewSet, basename="source")
router.register("follow-ups", listening_views.FollowUpViewSet, basename="privatefollowup")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("sources/<int:pk>/inbound/", inbound.InboundWebhookView.as_view(), name="source-inbound"),
    *router.urls,
]
