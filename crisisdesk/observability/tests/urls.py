"""A URLconf with a view that crashes, for the Sentry test."""

from django.urls import path


def boom(request):
    raise ZeroDivisionError("observability test crash")


urlpatterns = [path("boom", boom)]
