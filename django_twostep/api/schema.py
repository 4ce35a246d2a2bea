"""OpenAPI 3 descriptions of the API views, for drf-spectacular (an optional extra).

Without drf-spectacular installed every decorator here does nothing, so the
API works with Django REST framework alone. With it, each operation documents
its request body (JSON, JSON:API or form), its success answer, every error it
can answer in the envelope, and the ``Retry-After``, ``WWW-Authenticate`` and
``Cache-Control`` response headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..conf import twostep_settings
from ..errors import CATALOGUE

F = TypeVar("F", bound=Callable[..., Any])

try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
    from drf_spectacular.utils import (
        OpenApiExample,
        OpenApiParameter,
        OpenApiResponse,
        extend_schema,
    )
except ImportError:  # pragma: no cover - exercised by sites without the extra
    extend_schema = None


def _identity(function: F) -> F:
    return function


if extend_schema is None:  # pragma: no cover

    def _operation(*args: Any, **kwargs: Any) -> Callable[[F], F]:
        return _identity

else:
    from .serializers import (
        ChallengeEnvelopeSerializer,
        ChallengeSerializer,
        CodeSerializer,
        CredentialSerializer,
        CredentialsSerializer,
        ErrorEnvelopeSerializer,
        LoginSerializer,
        MethodsSerializer,
        OptionalCodeSerializer,
        OptionsSerializer,
        PasskeyCompleteSerializer,
        PasskeyOptionsSerializer,
        RecoveryCodesRemainingSerializer,
        RecoveryCodesSerializer,
        RefreshSerializer,
        RegistrationSerializer,
        RenameSerializer,
        SendCodeSerializer,
        StepUpVerifySerializer,
        TokenSerializer,
        TOTPSetupSerializer,
        TriggerSerializer,
        TwoFactorSerializer,
        TwoFactorStateSerializer,
    )

    class BearerTokenScheme(OpenApiAuthenticationExtension):
        target_class = "django_twostep.api.authentication.BearerTokenAuthentication"
        name = "bearerAuth"

        def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
            return {
                "type": "http",
                "scheme": "bearer",
                "description": "An access_token from POST auth/login.",
            }

    _BODY = ("validation_error", "parse_error", "unsupported_media_type")
    _ALWAYS = ("not_acceptable", "too_many_attempts", "temporarily_unavailable")
    # Requests that change the user's second factors: step-up once they have a method.
    _CHANGE = ("mfa_code_missing", "mfa_code_invalid")
    _AUTH = ("not_authenticated",)
    # A {username} that cannot be one (it holds a "/" once decoded) is no path of ours.
    _ACCOUNT = ("not_authenticated", "permission_denied", "not_found")

    def _errors(codes: tuple[str, ...]) -> dict[int, Any]:
        by_status: dict[int, list[str]] = {}
        for code in codes:
            by_status.setdefault(CATALOGUE[code].status, []).append(code)
        return {
            status: OpenApiResponse(
                response=ErrorEnvelopeSerializer,
                description="Error codes: " + ", ".join(f"`{c}`" for c in sorted(set(found))),
            )
            for status, found in by_status.items()
        }

    _HEADERS = [
        OpenApiParameter(
            "Cache-Control",
            str,
            OpenApiParameter.HEADER,
            description="Always no-store: answers may carry tokens, secrets or codes.",
            response=True,
        ),
        OpenApiParameter(
            "Retry-After",
            int,
            OpenApiParameter.HEADER,
            description=(
                "Whole seconds to wait: before the next code can be checked or sent (429), "
                "or before retrying while the database is busy (503)."
            ),
            response=[429, 503],
        ),
    ]
    _WWW_AUTHENTICATE = OpenApiParameter(
        "WWW-Authenticate",
        str,
        OpenApiParameter.HEADER,
        description='Bearer realm="api"',
        response=[401],
    )
    _X_OTP = OpenApiParameter(
        "X-OTP",
        str,
        OpenApiParameter.HEADER,
        description="A current code, instead of the code field (Acreto's way).",
    )
    _X_MFA_CODE = OpenApiParameter(
        "X-MFA-Code",
        str,
        OpenApiParameter.HEADER,
        description=(
            "A current code (TOTP or recovery code). Needed unless the token was verified "
            "within TWOSTEP_STEP_UP_GRACE; always checked when sent."
        ),
    )
    _X_MFA_CODE_CHANGE = OpenApiParameter(
        "X-MFA-Code",
        str,
        OpenApiParameter.HEADER,
        description=(
            "A current code of any active method, or a recovery code. Changing the second "
            "factors of a user who has a method needs it unless the token was verified within "
            "TWOSTEP_STEP_UP_GRACE; a user's first method needs none."
        ),
    )
    _USERNAME = OpenApiParameter(
        "username",
        str,
        OpenApiParameter.PATH,
        description="Your username, URL-encoded (user%40example.com), or `me`.",
        examples=[OpenApiExample("yourself", value="me")],
    )

    def _operation(
        *,
        summary: str,
        description: str = "",
        success: dict[int, Any],
        errors: tuple[str, ...],
        request: Any = None,
        parameters: list[Any] | None = None,
        tags: tuple[str, ...] = ("two-factor",),
        auth: bool = True,
        extra: dict[int, Any] | None = None,
    ) -> Callable[[F], F]:
        responses: dict[int, Any] = {**success, **_errors(errors + _ALWAYS)}
        responses.update(extra or {})
        headers = list(_HEADERS)
        if 401 in responses:
            headers.append(_WWW_AUTHENTICATE)
        return extend_schema(
            summary=summary,
            description=description,
            request=request,
            responses=responses,
            parameters=headers + (parameters or []),
            tags=list(tags),
            auth=None if auth else [],
        )


def _login_extra() -> dict[int, Any]:
    if extend_schema is None:  # pragma: no cover
        return {}
    status = twostep_settings.API_CHALLENGE_STATUS
    challenge = OpenApiResponse(
        response=ChallengeSerializer if 200 <= status < 300 else ChallengeEnvelopeSerializer,
        description=(
            "`two_factor_required` (status TWOSTEP_API_CHALLENGE_STATUS, 401 by default): "
            "send a code with meta.two_factor_id to auth/two-factor, or repeat this request "
            "with the code. Also `invalid_credentials` and `two_factor_expired` (401)."
        ),
    )
    extra = {status: challenge}
    if status != 401:
        extra[401] = _errors(("invalid_credentials",))[401]
    return extra


def _token_ok(description: str) -> dict[int, Any]:
    if extend_schema is None:  # pragma: no cover
        return {}
    return {200: OpenApiResponse(response=TokenSerializer, description=description)}


def _ok(status: int, serializer: Any, description: str = "") -> dict[int, Any]:
    if extend_schema is None:  # pragma: no cover
        return {}
    return {status: OpenApiResponse(response=serializer, description=description)}


if extend_schema is None:  # pragma: no cover
    login = two_factor = refresh = logout = _identity
    otp_get = otp_post = otp_patch = otp_delete = _identity
    recovery_get = recovery_post = trigger = _identity
    two_factor_send = email_otp_post = email_otp_patch = email_otp_delete = _identity
    methods_get = method_delete = _identity
    webauthn_register_post = webauthn_register_patch = webauthn_list = _identity
    webauthn_rename = webauthn_delete = passkey_begin = passkey_complete = _identity
    mfa_verify = _identity
else:
    login = _operation(
        summary="Log in (password, and a code in the same request or the next)",
        description=(
            "Without a code, a user with two-factor gets `two_factor_required` with "
            "`meta.two_factor_id`. With `code`, `auth_token` or the X-OTP header the login "
            "completes at once (a wrong code is 400 `invalid_code`). Unknown user, inactive user "
            "and wrong password all answer 401 `invalid_credentials`."
        ),
        request=LoginSerializer,
        parameters=[_X_OTP],
        success=_token_ok("The token payload (RFC 6749 section 5.1)."),
        errors=("invalid_credentials", "invalid_code", *_BODY),
        extra=_login_extra(),
        tags=("auth",),
        auth=False,
    )
    two_factor = _operation(
        summary="Complete a login with its second factor",
        description=(
            "`two_factor_id` from the login answer and a code (TOTP or recovery code). A wrong "
            "code spends one of the login's attempts (meta.attempts_left); an unknown, expired, "
            "used or burned id is 401 `two_factor_expired`."
        ),
        request=TwoFactorSerializer,
        parameters=[_X_OTP],
        success=_token_ok("The token payload."),
        errors=("two_factor_expired", "invalid_code", "method_not_available", *_BODY),
        tags=("auth",),
        auth=False,
    )
    refresh = _operation(
        summary="Exchange a refresh token for a new pair",
        description=(
            "The refresh token is spent. Presenting a spent one again revokes every token "
            "descending from the same login."
        ),
        request=RefreshSerializer,
        success=_token_ok("A new token payload."),
        errors=("invalid_grant", *_BODY),
        tags=("auth",),
        auth=False,
    )
    logout = _operation(
        summary="Log out: revoke the presented token",
        success=_ok(204, None, "Revoked."),
        errors=_AUTH,
        tags=("auth",),
    )
    otp_get = _operation(
        summary="Two-factor state of an account",
        parameters=[_USERNAME],
        success=_ok(200, TwoFactorStateSerializer),
        errors=_ACCOUNT,
    )
    otp_post = _operation(
        summary="Generate a TOTP secret (pending until activated)",
        description=(
            "A new call replaces a pending secret. 409 `already_enabled` when active. A user "
            "who has another method needs step-up (X-MFA-Code, or a token verified within the "
            "grace): 403 `mfa_code_missing`."
        ),
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(201, TOTPSetupSerializer, "The secret, its otpauth URI and a QR code."),
        errors=(*_ACCOUNT, "already_enabled", *_CHANGE),
    )
    otp_patch = _operation(
        summary="Activate TOTP with a first code",
        description=(
            "409 `not_enrolled` without a pending secret. Activating the user's first method "
            "verifies the token used (it starts a step-up grace period) and makes recovery "
            "codes, which the token's next GET users/{username}/recovery-codes shows once. A "
            "second method needs step-up and verifies nothing."
        ),
        request=CodeSerializer,
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(204, None, "Activated."),
        errors=(*_ACCOUNT, "not_enrolled", "invalid_code", *_CHANGE, *_BODY),
    )
    otp_delete = _operation(
        summary="Disable TOTP with a current code of any active method or a recovery code",
        request=OptionalCodeSerializer,
        parameters=[_USERNAME, _X_OTP],
        success=_ok(204, None, "Disabled."),
        errors=(*_ACCOUNT, "not_enrolled", "invalid_code", *_BODY),
    )
    recovery_get = _operation(
        summary="How many recovery codes are left (and, once, a set an activation made)",
        parameters=[_USERNAME],
        success=_ok(200, RecoveryCodesRemainingSerializer),
        errors=_ACCOUNT,
    )
    recovery_post = _operation(
        summary="Replace the recovery codes (step-up)",
        description="The old set stops working. The new codes are shown once.",
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(201, RecoveryCodesSerializer),
        errors=(*_ACCOUNT, "not_enrolled", "mfa_code_missing", "mfa_code_invalid"),
    )
    trigger = _operation(
        summary="Send a step-up code",
        description=(
            'Body `{"type": "email"}` or the JSON:API document `{"data": {"type": '
            '"multi-factor-auth-trigger", "attributes": {"type": "email"}}}`. Users with a '
            "confirmed e-mail method are e-mailed a code for X-MFA-Code (rate limited: 429 "
            "`resend_too_soon` with Retry-After); others get `method_not_available`."
        ),
        request=TriggerSerializer,
        success=_ok(204, None, "Sent."),
        errors=(
            *_AUTH,
            "mfa_type_missing",
            "mfa_type_not_found",
            "method_not_available",
            "resend_too_soon",
            *_BODY,
        ),
    )
    two_factor_send = _operation(
        summary="E-mail a code for a pending login",
        description=(
            "For a user with a confirmed e-mail method (`meta.methods` lists `email`); the code "
            "then goes to auth/two-factor. Others get `method_not_available`; a dead "
            "`two_factor_id` is 401 `two_factor_expired`. Rate limited per user: 429 "
            "`resend_too_soon` with Retry-After."
        ),
        request=SendCodeSerializer,
        success=_ok(204, None, "Sent."),
        errors=("two_factor_expired", "method_not_available", "resend_too_soon", *_BODY),
        tags=("auth",),
        auth=False,
    )
    email_otp_post = _operation(
        summary="E-mail a confirmation code to the account's address",
        description=(
            "Starts (or restarts) the e-mail method; PATCH with the code confirms it. "
            "`method_not_available` without an address, 409 `already_enabled` when on, 429 "
            "`resend_too_soon` with Retry-After when codes were sent too often. A user who has "
            "another method needs step-up: 403 `mfa_code_missing`."
        ),
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(202, None, "Sent."),
        errors=(*_ACCOUNT, "method_not_available", "already_enabled", "resend_too_soon", *_CHANGE),
    )
    email_otp_patch = _operation(
        summary="Confirm the e-mail method with the code that was sent",
        description=(
            "Confirming the user's first method verifies the token used (it starts a step-up "
            "grace period) and makes recovery codes, shown once by the token's next GET "
            "users/{username}/recovery-codes. A second method needs step-up and verifies nothing."
        ),
        request=CodeSerializer,
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(204, None, "Confirmed."),
        errors=(*_ACCOUNT, "not_enrolled", "already_enabled", "invalid_code", *_CHANGE, *_BODY),
    )
    email_otp_delete = _operation(
        summary="Remove the e-mail method (step-up)",
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(204, None, "Removed."),
        errors=(*_ACCOUNT, "not_enrolled", *_CHANGE),
    )
    methods_get = _operation(
        summary="Every method of TWOSTEP_METHODS and its state for the user",
        parameters=[_USERNAME],
        success=_ok(200, MethodsSerializer),
        errors=_ACCOUNT,
    )
    method_delete = _operation(
        summary="Remove a method (step-up)",
        description=(
            "Any method of TWOSTEP_METHODS but the backup (recovery codes), pending set-ups "
            "included. Removing the last method removes the recovery codes too. `{name}` not "
            "configured: 400 `validation_error`; nothing to remove: 409 `not_enrolled`."
        ),
        parameters=[
            _USERNAME,
            OpenApiParameter("name", str, OpenApiParameter.PATH, description="The method's name."),
            _X_MFA_CODE_CHANGE,
        ],
        success=_ok(204, None, "Removed."),
        errors=(*_ACCOUNT, "validation_error", "not_enrolled", *_CHANGE),
    )

    _CREDENTIAL_ID = OpenApiParameter(
        "credential_id", str, OpenApiParameter.PATH, description="A credential's id."
    )
    webauthn_register_post = _operation(
        summary="Start registering a security key or passkey",
        description=(
            "PublicKeyCredentialCreationOptionsJSON; excludeCredentials lists the user's "
            "keys. A user who has a method needs step-up."
        ),
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(200, OptionsSerializer),
        errors=(*_ACCOUNT, *_CHANGE, *_BODY),
        tags=("webauthn",),
    )
    webauthn_register_patch = _operation(
        summary="Finish registering: the browser's RegistrationResponseJSON",
        description=(
            "The user's first method turns two-step login on (recovery codes, shown once by "
            "the token's next GET users/{username}/recovery-codes) and verifies the token."
        ),
        request=RegistrationSerializer,
        parameters=[_USERNAME, _X_MFA_CODE_CHANGE],
        success=_ok(201, CredentialSerializer),
        errors=(*_ACCOUNT, "invalid_credential", "credential_exists", *_CHANGE, *_BODY),
        tags=("webauthn",),
    )
    webauthn_list = _operation(
        summary="The user's security keys and passkeys",
        parameters=[_USERNAME],
        success=_ok(200, CredentialsSerializer),
        errors=_ACCOUNT,
        tags=("webauthn",),
    )
    webauthn_rename = _operation(
        summary="Rename a security key",
        request=RenameSerializer,
        parameters=[_USERNAME, _CREDENTIAL_ID],
        success=_ok(200, CredentialSerializer),
        errors=(*_ACCOUNT, *_BODY),
        tags=("webauthn",),
    )
    webauthn_delete = _operation(
        summary="Remove a security key (step-up)",
        parameters=[_USERNAME, _CREDENTIAL_ID, _X_MFA_CODE_CHANGE],
        success=_ok(204, None, "Removed."),
        errors=(*_ACCOUNT, *_CHANGE),
        tags=("webauthn",),
    )
    passkey_begin = _operation(
        summary="Start a login with a passkey alone",
        success=_ok(200, PasskeyOptionsSerializer),
        errors=("passkey_login_disabled", *_BODY),
        tags=("auth",),
        auth=False,
    )
    passkey_complete = _operation(
        summary="Finish a passkey login: a verified token pair",
        request=PasskeyCompleteSerializer,
        success=_token_ok("Logged in: the token counts as verified (two factors)."),
        errors=("invalid_credential", "invalid_credentials", "passkey_login_disabled", *_BODY),
        tags=("auth",),
        auth=False,
    )
    mfa_verify = _operation(
        summary="Step up with a security key (or a code): the token is verified",
        description=(
            'Body {"type": "webauthn", "credential": AuthenticationResponseJSON} for the '
            'options of POST mfa/trigger {"type": "webauthn"}, or {"code"}. A right one '
            "starts a new grace period for the token."
        ),
        request=StepUpVerifySerializer,
        success=_ok(204, None, "Verified."),
        errors=(
            *_AUTH,
            "invalid_credential",
            "invalid_code",
            "method_not_available",
            *_BODY,
        ),
    )


def step_up(summary: str, **kwargs: Any) -> Callable[[F], F]:
    """Document a site's own endpoint protected by :class:`~.permissions.StepUpRequired`.

    ``kwargs`` go to ``extend_schema`` (e.g. ``request``); without drf-spectacular
    this does nothing.
    """
    if extend_schema is None:  # pragma: no cover
        return _identity
    success = kwargs.pop("success", None) or _ok(204, None, "Done.")
    return _operation(
        summary=summary,
        success=success,
        errors=(*_AUTH, "not_enrolled", "mfa_code_missing", "mfa_code_invalid", *_BODY),
        parameters=[_X_MFA_CODE],
        tags=kwargs.pop("tags", ("account",)),
        **kwargs,
    )
