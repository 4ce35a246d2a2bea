"""Security keys' endpoints, included into ``django_twostep.api.urls`` by the registry."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/passkey", api.PasskeyView.as_view(), name="passkey"),
    path("auth/passkey/complete", api.PasskeyCompleteView.as_view(), name="passkey-complete"),
    path(
        "users/<str:username>/webauthn/register",
        api.RegisterView.as_view(),
        name="webauthn-register",
    ),
    path("users/<str:username>/webauthn", api.CredentialsView.as_view(), name="webauthn"),
    path(
        "users/<str:username>/webauthn/<str:credential_id>",
        api.CredentialView.as_view(),
        name="webauthn-credential",
    ),
]
