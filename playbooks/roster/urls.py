"""Browser URLs of the roster (mounted at /roster/)."""

from django.urls import path

from playbooks.roster import views

app_name = "roster"

urlpatterns = [
    path("", views.RosterListView.as_view(), name="list"),
    path("who-to-call/", views.WhoToCallView.as_view(), name="who_to_call"),
    path("people/new/", views.PersonFormView.as_view(), name="person_create"),
    path("people/<int:pk>/edit/", views.PersonFormView.as_view(), name="person_edit"),
]
