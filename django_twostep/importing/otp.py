"""Reading django-otp's devices (django-two-factor-auth keeps its methods in the same tables).

- ``otp_totp.TOTPDevice``: the hex key, ``step``, ``t0``, ``digits``,
  ``tolerance``, ``drift`` and ``last_t`` map one to one onto ours, so a code
  django-otp accepted (its step is at or before ``last_t``) is refused here too.
  django-otp allows several per user and we keep one: the one
  django-two-factor-auth calls ``default`` if there is one, else the one used
  last.
- ``otp_static.StaticDevice`` / ``StaticToken``: django-otp deletes a token
  when it is used, so every stored token is unused; all of a user's confirmed
  static devices become one set of our recovery codes.
- ``two_factor_webauthn.WebauthnDevice`` (django-two-factor-auth's WebAuthn
  plugin): ``key_handle`` is the credential id and ``public_key`` the COSE key,
  both base64url text as py_webauthn hands them out; ``sign_count`` and the
  dates are kept. The plugin keeps no transports, AAGUID or resident-key flag,
  and names every key ``default``: ours are "Security key", not discoverable.
- django-otp-webauthn's credential model (``OTP_WEBAUTHN_CREDENTIAL_MODEL``,
  ``django_otp_webauthn.WebAuthnCredential`` by default): the raw credential id
  and COSE key, ``sign_count``, ``transports``, ``aaguid``, ``discoverable``
  (None, unknown, becomes False), the backup flags and the dates map one to one.
- Security keys are imported beside the user's authenticator app; the first one
  turns the WebAuthn method on (no recovery codes are made: only the peer's
  unused ones are imported). A key whose credential id is registered here
  already is skipped (``credential_exists``).
- Any other confirmed django-otp device (django-two-factor-auth's phone,
  YubiKey or e-mail devices, ``otp_hotp``, ``otp_email``) is reported as
  ``unsupported_method``.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db.models import Model
from fido2.utils import websafe_decode

from .base import (
    ImportFailed,
    TOTPSecret,
    UserPlan,
    WebAuthnKey,
    aaguid_text,
    key_name,
    transports_of,
)

TOTP_APP = "django_otp.plugins.otp_totp"
STATIC_APP = "django_otp.plugins.otp_static"
TWO_FACTOR_WEBAUTHN_APP = "two_factor.plugins.webauthn"
OTP_WEBAUTHN_APP = "django_otp_webauthn"


def row_name(obj: Model) -> str:
    """``app_label.Model #pk``: names a row in the summary without showing its content."""
    return f"{obj._meta.label} #{obj.pk}"


def _preference(device: Any) -> tuple[bool, float, int, int]:
    used = device.last_used_at.timestamp() if device.last_used_at else float("-inf")
    return (device.name != "default", -used, -device.last_t, device.pk)


def read_plans() -> dict[Any, UserPlan]:
    """One plan per user with a row in django-otp's device tables."""
    readable = (TOTP_APP, OTP_WEBAUTHN_APP, TWO_FACTOR_WEBAUTHN_APP)
    if not any(apps.is_installed(app) for app in readable):
        raise ImportFailed(
            f"{TOTP_APP!r} is not in INSTALLED_APPS (nor a WebAuthn plug-in of django-otp: "
            f"{OTP_WEBAUTHN_APP!r}, {TWO_FACTOR_WEBAUTHN_APP!r}): keep django-otp's apps "
            "installed until the import has run."
        )
    from django_otp import device_classes

    plans: dict[Any, UserPlan] = {}

    def plan_for(user_id: Any) -> UserPlan:
        return plans.setdefault(user_id, UserPlan(user_id))

    handled: list[type[Model]] = []
    if apps.is_installed(TOTP_APP):
        handled.append(_read_totp(plan_for))
    if apps.is_installed(STATIC_APP):
        from django_otp.plugins.otp_static.models import StaticDevice

        handled.append(StaticDevice)
        static = StaticDevice.objects.order_by("user_id", "pk").prefetch_related("token_set")
        for device in static:
            plan = plan_for(device.user_id)
            if not device.confirmed:
                plan.skip(row_name(device), "not_confirmed")
                continue
            tokens = sorted(device.token_set.all(), key=lambda token: token.pk)
            plan.had_active_method = plan.had_active_method or bool(tokens)
            for token in tokens:
                plan.add_recovery_code(token.token, row=row_name(token), set_row=row_name(device))

    for model, read in _webauthn_models():
        handled.append(model)
        for device in model.objects.order_by("user_id", "pk"):
            plan = plan_for(device.user_id)
            if not device.confirmed:
                plan.skip(row_name(device), "not_confirmed")
                continue
            plan.had_active_method = True
            key = read(device)
            if key is None:
                plan.skip(row_name(device), "invalid_credential")
            else:
                plan.add_webauthn_key(key)

    for model in device_classes():
        if model in handled or model._meta.app_label == "django_twostep":
            continue
        for pk, user_id in model.objects.filter(confirmed=True).values_list("pk", "user_id"):
            plan = plan_for(user_id)
            plan.had_active_method = True
            plan.skip(f"{model._meta.label} #{pk}", "unsupported_method")
    return plans


def _read_totp(plan_for: Callable[[Any], UserPlan]) -> type[Model]:
    """django-otp's TOTP devices into the plans: the one kept per user, the others skipped."""
    from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice

    confirmed_totp: dict[Any, list[Any]] = {}
    for device in OTPTOTPDevice.objects.order_by("user_id", "pk"):
        if device.confirmed:
            confirmed_totp.setdefault(device.user_id, []).append(device)
        else:
            plan_for(device.user_id).skip(row_name(device), "not_confirmed")
    for user_id, devices in confirmed_totp.items():
        plan = plan_for(user_id)
        plan.had_active_method = True
        chosen, *others = sorted(devices, key=_preference)
        for other in others:
            plan.skip(row_name(other), "another_totp_device")
        try:
            key = binascii.unhexlify(chosen.key.encode())
        except (binascii.Error, ValueError, UnicodeEncodeError):
            plan.skip(row_name(chosen), "invalid_secret")
            continue
        if not key:
            plan.skip(row_name(chosen), "invalid_secret")
            continue
        plan.totp = TOTPSecret(
            row=row_name(chosen),
            key=key,
            step=chosen.step,
            t0=chosen.t0,
            digits=chosen.digits,
            tolerance=chosen.tolerance,
            drift=chosen.drift,
            last_t=chosen.last_t,
            last_used_at=chosen.last_used_at,
        )
    return OTPTOTPDevice


def _webauthn_models() -> list[tuple[type[Model], Any]]:
    """The installed WebAuthn plug-ins of django-otp: each credential model and its reader."""
    found: list[tuple[type[Model], Any]] = []
    if apps.is_installed(TWO_FACTOR_WEBAUTHN_APP):
        from two_factor.plugins.webauthn.models import WebauthnDevice

        found.append((WebauthnDevice, _two_factor_key))
    if apps.is_installed(OTP_WEBAUTHN_APP):
        from django_otp_webauthn.utils import get_credential_model

        found.append((get_credential_model(), _otp_webauthn_key))
    return found


def _two_factor_key(device: Any) -> WebAuthnKey | None:
    """django-two-factor-auth's ``WebauthnDevice``: base64url text of the id and COSE key."""
    try:
        credential_id = websafe_decode(device.key_handle)
        public_key = websafe_decode(device.public_key)
    except (ValueError, TypeError, AttributeError):  # binascii.Error is a ValueError
        return None
    name = "" if device.name == "default" else device.name  # the plug-in's name for them all
    return WebAuthnKey(
        row=row_name(device),
        credential_id=credential_id,
        public_key=public_key,
        sign_count=device.sign_count or 0,
        name=key_name(name),
        created_at=device.created_at,
        last_used_at=device.last_used_at,
    )


def _otp_webauthn_key(credential: Any) -> WebAuthnKey | None:
    """django-otp-webauthn's credential: raw id and COSE key bytes, and what it learned."""
    if credential.credential_id is None or credential.public_key is None:
        return None
    return WebAuthnKey(
        row=row_name(credential),
        # BinaryField: bytes on SQLite, memoryview on PostgreSQL.
        credential_id=bytes(credential.credential_id),
        public_key=bytes(credential.public_key),
        sign_count=credential.sign_count or 0,
        name=key_name(credential.name),
        transports=transports_of(credential.transports),
        aaguid=aaguid_text(credential.aaguid),
        discoverable=bool(credential.discoverable),
        backup_eligible=bool(credential.backup_eligible),
        backed_up=bool(credential.backup_state),
        created_at=credential.created_at,
        last_used_at=credential.last_used_at,
    )
