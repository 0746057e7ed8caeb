"""Routes of the chat API, mounted at /api/v1/ (namespace ``api``)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("notification-destinations", views.DestinationViewSet, basename="notification-destination")
router.register("notification-deliveries", views.ChatDeliveryViewSet, basename="notification-delivery")

urlpatterns = router.urls
