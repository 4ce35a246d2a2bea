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
- Any other confirmed django-otp device (django-two-factor-auth's phone,
  YubiKey, WebAuthn or e-mail devices, ``otp_hotp``, ``otp_email``) is reported
  as ``unsupported_method``.
"""

from __future__ import annotations

import binascii
from typing import Any

from django.apps import apps
from django.db.models import Model

from .base import ImportFailed, TOTPSecret, UserPlan

TOTP_APP = "django_otp.plugins.otp_totp"
STATIC_APP = "django_otp.plugins.otp_static"


def row_name(obj: Model) -> str:
    """``app_label.Model #pk``: names a row in the summary without showing its content."""
    return f"{obj._meta.label} #{obj.pk}"


def _preference(device: Any) -> tuple[bool, float, int, int]:
    used = device.last_used_at.timestamp() if device.last_used_at else float("-inf")
    return (device.name != "default", -used, -device.last_t, device.pk)


def read_plans() -> dict[Any, UserPlan]:
    """One plan per user with a row in django-otp's device tables."""
    if not apps.is_installed(TOTP_APP):
        raise ImportFailed(
            f"{TOTP_APP!r} is not in INSTALLED_APPS: keep django-otp's apps installed "
            "until the import has run."
        )
    from django_otp import device_classes
    from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice

    plans: dict[Any, UserPlan] = {}

    def plan_for(user_id: Any) -> UserPlan:
        return plans.setdefault(user_id, UserPlan(user_id))

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

    handled: list[type[Model]] = [OTPTOTPDevice]
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

    for model in device_classes():
        if model in handled or model._meta.app_label == "django_twostep":
            continue
        for pk, user_id in model.objects.filter(confirmed=True).values_list("pk", "user_id"):
            plan = plan_for(user_id)
            plan.had_active_method = True
            plan.skip(f"{model._meta.label} #{pk}", "unsupported_method")
    return plans
