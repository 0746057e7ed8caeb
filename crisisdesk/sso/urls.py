from django.urls import include, path

from crisisdesk.sso import views

urlpatterns = [
    path("refused/", views.sso_refused, name="sso_refused"),
    path("", include("mozilla_django_oidc.urls")),
]
