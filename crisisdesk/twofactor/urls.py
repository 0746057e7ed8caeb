"""Browser URLs of the second factor, mounted at /account/two-factor/."""

from django.urls import path

from . import views

app_name = "twofactor"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("confirm/", views.ConfirmView.as_view(), name="confirm"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("passkeys/register/begin/", views.PasskeyRegisterBeginView.as_view(), name="passkey_register_begin"),
    path("passkeys/register/complete/", views.PasskeyRegisterCompleteView.as_view(), name="passkey_register_complete"),
    path("passkeys/confirm/begin/", views.PasskeyConfirmBeginView.as_view(), name="passkey_confirm_begin"),
    path("passkeys/confirm/complete/", views.PasskeyConfirmCompleteView.as_view(), name="passkey_confirm_complete"),
    path("passkeys/<int:pk>/remove/", views.PasskeyRemoveView.as_view(), name="passkey_remove"),
]
