"""Browser URLs of the review workflow: the reviewer's queue, the review page and the per-item audit trail."""

from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("queue/", views.ReviewQueueView.as_view(), name="queue"),
    path("<slug:kind>/<int:pk>/", views.ReviewPageView.as_view(), name="review"),
    path("<slug:kind>/<int:pk>/audit/", views.AuditTrailView.as_view(), name="audit"),
]
