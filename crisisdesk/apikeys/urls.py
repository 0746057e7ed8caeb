"""Browser URLs for integration API keys (team leads and administrators)."""

from django.urls import path

from . import views

app_name = "apikeys"

urlpatterns = [
    path("", views.APIKeyListView.as_view(), name="list"),
    path("new/", views.APIKeyCreateView.as_view(), name="create"),
    path("<int:pk>/revoke/", views.APIKeyRevokeView.as_view(), name="revoke"),
    path("<int:pk>/approvals/", views.APIKeyGrantView.as_view(), name="grant"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:user_id>/approvals/", views.TokenGrantView.as_view(), name="token_grant"),
]
