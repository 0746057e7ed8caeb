from django.contrib.auth import views as auth_views
from django.urls import include, path

from crisisdesk.testing.oidc_provider import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # Before DOT's own URLs: the same path as its JWKS, so the discovery document points here.
    path("o/.well-known/jwks.json", views.jwks),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("control/reset/", views.reset),
    path("control/application/", views.application),
    path("control/user/", views.user),
    path("control/misbehave/", views.misbehave),
]
