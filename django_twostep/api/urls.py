"""URLs of the JSON API: ``path("api/v1/", include("django_twostep.api.urls"))``.

The shared endpoints are listed here; each method of ``TWOSTEP_METHODS`` adds
its own (its ``api_urls`` module). The last pattern answers 404 in the error
envelope for any other path under the include. A site's own paths under the
same prefix (``api/v1/me/password`` in the example project) must come before
the include in its URLconf.
"""

from django.urls import include, path, re_path

from ..methods.registry import routed_methods
from . import account, login, step_up, views

app_name = "twostep-api"

urlpatterns = [
    path("auth/login", login.LoginView.as_view(), name="login"),
    path("auth/two-factor", login.TwoFactorLoginView.as_view(), name="two-factor"),
    path("auth/two-factor/send", login.TwoFactorSendView.as_view(), name="two-factor-send"),
    path("auth/token/refresh", login.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout", login.LogoutView.as_view(), name="logout"),
    path("users/<str:username>/methods", account.MethodsView.as_view(), name="methods"),
    path("users/<str:username>/methods/<str:name>", account.MethodView.as_view(), name="method"),
    path("mfa/trigger", step_up.MFATriggerView.as_view(), name="mfa-trigger"),
    path("mfa/verify", step_up.MFAVerifyView.as_view(), name="mfa-verify"),
    *(path("", include(method.api_urls)) for method in routed_methods() if method.api_urls),
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),
]
