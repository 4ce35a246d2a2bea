"""URLs of the JSON API: ``path("api/v1/", include("django_twostep.api.urls"))``.

The last pattern answers 404 in the error envelope for any other path under
the include. A site's own paths under the same prefix (``api/v1/me/password``
in the example project) must come before the include in its URLconf.
"""

from django.urls import path, re_path

from . import views

app_name = "twostep-api"

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/two-factor", views.TwoFactorLoginView.as_view(), name="two-factor"),
    path("auth/two-factor/send", views.TwoFactorSendView.as_view(), name="two-factor-send"),
    path("auth/token/refresh", views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("users/<str:username>/otp", views.TOTPView.as_view(), name="otp"),
    path(
        "users/<str:username>/recovery-codes",
        views.RecoveryCodesView.as_view(),
        name="recovery-codes",
    ),
    path("users/<str:username>/email-otp", views.EmailOTPView.as_view(), name="email-otp"),
    path("mfa/trigger", views.MFATriggerView.as_view(), name="mfa-trigger"),
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),
]
