"""The pages, namespace ``twostep``.

Include them with ``path("accounts/", include("django_twostep.urls"))``.
"""

from django.urls import path

from . import views

app_name = "twostep"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginCodeView.as_view(), name="login-code"),
    path("login/code/email/", views.LoginEmailCodeView.as_view(), name="login-code-email"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.SettingsView.as_view(), name="settings"),
    path("two-factor/totp/setup/", views.TOTPSetupView.as_view(), name="totp-setup"),
    path("two-factor/totp/setup/qr.png", views.TOTPQRCodeView.as_view(), name="totp-qr"),
    path("two-factor/totp/disable/", views.TOTPDisableView.as_view(), name="totp-disable"),
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path(
        "two-factor/recovery-codes/download/",
        views.RecoveryCodesDownloadView.as_view(),
        name="recovery-codes-download",
    ),
    path(
        "two-factor/trusted-browsers/forget/",
        views.ForgetTrustedBrowsersView.as_view(),
        name="trusted-browsers-forget",
    ),
    path("two-factor/email/setup/", views.EmailSetupView.as_view(), name="email-setup"),
    path("two-factor/verify/", views.VerifyView.as_view(), name="verify"),
    path("two-factor/verify/email/", views.VerifyEmailCodeView.as_view(), name="verify-email"),
]
