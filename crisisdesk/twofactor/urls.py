"""Browser URLs of the second factor, mounted at /account/two-factor/."""

from django.urls import path

from . import views

app_name = "twofactor"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("confirm/", views.ConfirmView.as_view(), name="confirm"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
]
