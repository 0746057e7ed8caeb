"""Routes of the webhooks API, mounted at /api/v1/webhooks/ (namespace ``api``)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("subscriptions", views.SubscriptionViewSet, basename="webhook-subscription")
router.register("deliveries", views.DeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
