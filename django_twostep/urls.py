"""The pages, namespace ``twostep``.

Include them with ``path("accounts/", include("django_twostep.urls"))``. The
shared pages are listed here; each method of ``TWOSTEP_METHODS`` adds its own
(its ``urls`` module), under the same namespace (the built-in methods always:
their pages answer 404 while they are not configured).
"""

from django.urls import include, path

from .methods.registry import routed_methods
from .views import account, login, step_up

app_name = "twostep"

urlpatterns = [
    path("login/", login.LoginView.as_view(), name="login"),
    path("login/code/", login.LoginCodeView.as_view(), name="login-code"),
    path("logout/", login.LogoutView.as_view(), name="logout"),
    path("two-factor/", account.SettingsView.as_view(), name="settings"),
    path(
        "two-factor/trusted-browsers/forget/",
        account.ForgetTrustedBrowsersView.as_view(),
        name="trusted-browsers-forget",
    ),
    path(
        "two-factor/methods/<str:name>/remove/",
        account.MethodRemoveView.as_view(),
        name="method-remove",
    ),
    path("two-factor/verify/", step_up.VerifyView.as_view(), name="verify"),
    *(path("", include(method.urls)) for method in routed_methods() if method.urls),
]
