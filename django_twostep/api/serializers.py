"""Request and response shapes of the API.

Request serializers only check shapes (types, presence, lengths); every rule
about users, codes and tokens is in :mod:`django_twostep.flows`. Strings must
be JSON strings: a number where a code is expected is refused, so a code's
leading zeros cannot be lost on the way.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..flows.codes import MAX_CODE_LENGTH
from ..flows.tokens import MAX_TOKEN_LENGTH
from ..methods.registry import method_names

# Generous bounds that stop megabyte strings before they reach a hasher or the database.
MAX_USERNAME_LENGTH = 254
MAX_PASSWORD_LENGTH = 4096
MAX_ID_LENGTH = 200

# DRF's message repeats the input; ours never does. DRF formats it with str.format,
# so it must come out of format_lazy without braces.
INVALID_METHOD = format_lazy(
    _("Must be one of: {choices}."), choices=lazy(lambda: ", ".join(method_names()), str)()
)


class StringField(serializers.CharField):
    """A CharField that accepts only strings (DRF's also takes numbers)."""

    default_error_messages = {"invalid": _("Not a valid string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _code_field(help_text: str, *, required: bool = False) -> StringField:
    return StringField(
        required=required,
        allow_null=not required,
        allow_blank=not required,
        max_length=MAX_CODE_LENGTH,
        help_text=help_text,
    )


class LoginSerializer(serializers.Serializer):
    username = StringField(max_length=MAX_USERNAME_LENGTH, trim_whitespace=False)
    password = StringField(
        max_length=MAX_PASSWORD_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
    )
    code = _code_field(
        "A current code (TOTP or recovery code) to log in with one request. "
        "The X-OTP header works too."
    )
    auth_token = _code_field("Alias of code (ShotGrid's name).")
    grant_type = StringField(
        required=False, max_length=50, help_text='Ignored; OAuth2 clients send "password".'
    )


def _two_factor_id_field() -> StringField:
    return StringField(
        max_length=MAX_ID_LENGTH, help_text="From meta.two_factor_id of the login answer."
    )


class MethodField(serializers.ChoiceField):
    """A method name of ``TWOSTEP_METHODS``, read when each serializer is made
    (DRF copies declared fields per instance, calling ``__init__`` again)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("choices", None)
        super().__init__(choices=method_names(), **kwargs)


def _method_field(help_text: str) -> serializers.ChoiceField:
    return MethodField(
        required=False,
        allow_null=True,
        help_text=help_text,
        error_messages={"invalid_choice": INVALID_METHOD},
    )


class CredentialField(serializers.DictField):
    """A WebAuthn response in its Level 3 JSON form (``PublicKeyCredential.toJSON()``);
    its shape is checked by the flows (``invalid_credential``)."""

    default_error_messages = {"not_a_dict": _("Expected a JSON object.")}


def _credential_field(help_text: str, *, required: bool = False) -> CredentialField:
    return CredentialField(required=required, help_text=help_text)


class TwoFactorSerializer(serializers.Serializer):
    two_factor_id = _two_factor_id_field()
    code = _code_field("The code (TOTP, e-mailed or recovery code). The X-OTP header works too.")
    method = _method_field("Which kind of code this is; when absent, the code's form decides.")
    credential = _credential_field(
        'With "method": "webauthn": the AuthenticationResponseJSON of the options in meta.webauthn.'
    )


class StepUpVerifySerializer(serializers.Serializer):
    type = StringField(required=False, max_length=20, help_text='A ceremony method: "webauthn".')
    credential = _credential_field("The AuthenticationResponseJSON of mfa/trigger's options.")
    code = _code_field("Or a current code of any of the user's methods.")


class RegistrationSerializer(serializers.Serializer):
    name = StringField(required=False, allow_blank=True, max_length=64)
    credential = _credential_field("The RegistrationResponseJSON.", required=True)


class OptionsSerializer(serializers.Serializer):
    publicKey = serializers.DictField(
        help_text="PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON."
    )


class PasskeyOptionsSerializer(OptionsSerializer):
    passkey_id = serializers.CharField(help_text="Send it back with the passkey's answer.")


class CredentialSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    discoverable = serializers.BooleanField(help_text="A passkey (logs in without a password).")


class CredentialsSerializer(serializers.Serializer):
    credentials = CredentialSerializer(many=True)


class RenameSerializer(serializers.Serializer):
    name = StringField(max_length=64)


class PasskeyCompleteSerializer(serializers.Serializer):
    passkey_id = StringField(max_length=MAX_ID_LENGTH, help_text="From POST auth/passkey.")
    credential = _credential_field("The AuthenticationResponseJSON.", required=True)


class SendCodeSerializer(serializers.Serializer):
    two_factor_id = _two_factor_id_field()
    method = _method_field(
        'A method that sends codes (TWOSTEP_METHODS; by default only "email", the default).'
    )


class RefreshSerializer(serializers.Serializer):
    refresh_token = StringField(max_length=MAX_TOKEN_LENGTH * 2)
    grant_type = StringField(
        required=False, max_length=50, help_text='Ignored; OAuth2 clients send "refresh_token".'
    )


class CodeSerializer(serializers.Serializer):
    code = _code_field("A current code.", required=True)


class OptionalCodeSerializer(serializers.Serializer):
    code = _code_field(
        "A current TOTP or recovery code (or send it in the X-OTP header).",
    )


class TriggerSerializer(serializers.Serializer):
    """The plain form; the JSON:API form wraps it in ``data.attributes``."""

    type = serializers.JSONField(
        required=False,
        help_text='The method that sends the code (TWOSTEP_METHODS; by default "email").',
    )
    method = serializers.JSONField(required=False, help_text="Alias of type.")


# -- response shapes (for the OpenAPI schema) ----------------------------------


class TokenSerializer(serializers.Serializer):
    token_type = serializers.CharField(help_text='Always "Bearer".')
    access_token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the access token lives.")
    refresh_token = serializers.CharField()


class TwoFactorStateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    pending = serializers.BooleanField(help_text="A method's set-up was started, not finished.")
    methods = serializers.ListField(child=serializers.CharField())
    recovery_codes_remaining = serializers.IntegerField()


class MethodStateSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The method's name (TWOSTEP_METHODS), as meta.methods.")
    label = serializers.CharField(help_text="How the pages name it, in the request's language.")
    kind = serializers.ChoiceField(choices=["code", "ceremony"])
    backup = serializers.BooleanField(help_text="Backs the others up (recovery codes).")
    active = serializers.BooleanField()
    pending = serializers.BooleanField(help_text="A set-up was started and not finished.")


class MethodsSerializer(serializers.Serializer):
    methods = MethodStateSerializer(many=True)


class TOTPSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32, for typing into the app by hand.")
    url = serializers.CharField(help_text="The otpauth:// URI.")
    barcode = serializers.CharField(help_text="The QR code as a base64 PNG (no data: prefix).")


class RecoveryCodesSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField(), help_text="Shown once.")


class RecoveryCodesRemainingSerializer(serializers.Serializer):
    remaining = serializers.IntegerField()
    codes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=(
            "Only in the first answer to this token after an activation through it made a "
            "new set: that set, shown once."
        ),
    )


class ErrorSourceSerializer(serializers.Serializer):
    parameter = serializers.CharField(required=False)
    pointer = serializers.CharField(required=False)
    header = serializers.CharField(required=False)


class ErrorSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The HTTP status, as a string.")
    code = serializers.CharField(help_text="A stable code from the error catalogue.")
    title = serializers.CharField()
    detail = serializers.CharField()
    source = ErrorSourceSerializer(required=False)
    meta = serializers.DictField(required=False)


class ErrorEnvelopeSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


class ChallengeMetaSerializer(serializers.Serializer):
    two_factor_id = serializers.CharField()
    methods = serializers.ListField(child=serializers.CharField())
    expires_in = serializers.IntegerField()


class ChallengeEnvelopeSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)
    meta = ChallengeMetaSerializer(required=False, help_text="Only with two_factor_required.")


class ChallengeSerializer(ChallengeMetaSerializer):
    """The challenge when TWOSTEP_API_CHALLENGE_STATUS is a 2xx (FusionAuth's 242)."""

    meta = ChallengeMetaSerializer(help_text="The same three fields.")
