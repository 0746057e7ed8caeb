"""Browser URLs for webhook subscriptions and the delivery log (team leads)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.SubscriptionListView.as_view(), name="list"),
    path("new/", views.SubscriptionCreateView.as_view(), name="create"),
    path("<int:pk>/", views.SubscriptionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.SubscriptionEditView.as_view(), name="edit"),
    path("<int:pk>/secret/", views.SubscriptionSecretView.as_view(), name="secret"),
    path("<int:pk>/secret/rotate/", views.SubscriptionRotateSecretView.as_view(), name="rotate_secret"),
    path("<int:pk>/active/", views.SubscriptionToggleView.as_view(), name="toggle"),
    path("deliveries/", views.DeliveryListView.as_view(), name="deliveries"),
    path("deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="delivery"),
    path("deliveries/<int:pk>/redeliver/", views.RedeliverView.as_view(), name="redeliver"),
]
