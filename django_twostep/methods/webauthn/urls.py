"""The security keys' pages, included into ``django_twostep.urls`` by the registry.

The ``.../options/`` endpoints are POST-only JSON for the page script
(``django_twostep/webauthn.js``): a ceremony's options, never a page.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("two-factor/webauthn/", views.KeysView.as_view(), name="webauthn"),
    path(
        "two-factor/webauthn/options/",
        views.RegistrationOptionsView.as_view(),
        name="webauthn-options",
    ),
    path(
        "two-factor/webauthn/<int:pk>/rename/",
        views.RenameView.as_view(),
        name="webauthn-rename",
    ),
    path(
        "two-factor/webauthn/<int:pk>/remove/",
        views.RemoveView.as_view(),
        name="webauthn-remove",
    ),
    path(
        "login/code/webauthn/options/",
        views.LoginOptionsView.as_view(),
        name="login-code-webauthn",
    ),
    path(
        "two-factor/verify/webauthn/options/",
        views.StepUpOptionsView.as_view(),
        name="verify-webauthn",
    ),
    path("login/passkey/", views.PasskeyLoginView.as_view(), name="login-passkey"),
    path(
        "login/passkey/options/",
        views.PasskeyOptionsView.as_view(),
        name="login-passkey-options",
    ),
]
