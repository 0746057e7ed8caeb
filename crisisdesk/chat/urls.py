"""Browser URLs for chat destinations and their deliveries (team leads)."""

from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("", views.DestinationListView.as_view(), name="list"),
    path("new/", views.DestinationCreateView.as_view(), name="create"),
    path("<int:pk>/", views.DestinationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.DestinationEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.DestinationDeleteView.as_view(), name="delete"),
    path("<int:pk>/test/", views.DestinationTestView.as_view(), name="test"),
    path("deliveries/<int:pk>/redeliver/", views.ChatRedeliverView.as_view(), name="redeliver"),
]
