"""What a user has set up: active methods, pending enrolments, recovery codes left."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django_otp.models import Device

from ..models import (
    Challenge,
    EmailDevice,
    RecoveryCode,
    RecoveryCodeDevice,
    TOTPDevice,
    TrustedBrowser,
)

# Method name -> device model; recovery codes back the methods up and are not one.
METHOD_MODELS: dict[str, type[Device]] = {"totp": TOTPDevice, "email": EmailDevice}


@dataclass(frozen=True)
class TwoFactorState:
    """A user's two-factor set-up, as the settings page and the API report it."""

    enabled: bool
    pending: bool
    methods: list[str]
    recovery_codes_remaining: int


def _device_flags(user: AbstractBaseUser, *, pending: bool = False) -> dict[str, bool]:
    """``{"totp": ..., "email": ...}`` (and ``"totp_pending"``... with ``pending``), one query."""
    annotations = {}
    for name, model in METHOD_MODELS.items():
        mine = model.objects.filter(user_id=OuterRef("pk"))
        # Prefixed: a user model may well have an "email" field.
        annotations[f"twostep_{name}"] = Exists(mine.filter(confirmed=True))
        if pending:
            annotations[f"twostep_{name}_pending"] = Exists(mine.filter(confirmed=False))
    users = get_user_model()._default_manager.filter(pk=user.pk)
    row = users.annotate(**annotations).values(*annotations).first()
    row = row or dict.fromkeys(annotations, False)
    return {key.removeprefix("twostep_"): bool(value) for key, value in row.items()}


def active_methods(user: AbstractBaseUser) -> list[str]:
    """Names of the user's active methods, e.g. ``["totp", "email"]`` (one query)."""
    flags = _device_flags(user)
    return [name for name in METHOD_MODELS if flags[name]]


def has_two_factor(user: AbstractBaseUser) -> bool:
    return bool(active_methods(user))


def two_factor_state(user: AbstractBaseUser) -> TwoFactorState:
    flags = _device_flags(user, pending=True)
    methods = [name for name in METHOD_MODELS if flags[name]]
    return TwoFactorState(
        enabled=bool(methods),
        pending=any(flags[f"{name}_pending"] for name in METHOD_MODELS),
        methods=methods,
        recovery_codes_remaining=recovery_codes_remaining(user),
    )


def active_devices(user: AbstractBaseUser) -> list[Device]:
    """The user's confirmed method devices."""
    return [
        device
        for model in METHOD_MODELS.values()
        for device in model.objects.filter(user_id=user.pk, confirmed=True)
    ]


def recovery_codes_remaining(user: AbstractBaseUser) -> int:
    return RecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()


def method_removed(user: AbstractBaseUser) -> None:
    """After a method went: pending logins die; with no method left, so do the extras.

    Recovery codes and trusted browsers only make sense beside a method.
    """
    Challenge.objects.filter(user_id=user.pk, consumed_at__isnull=True).delete()
    if not has_two_factor(user):
        RecoveryCodeDevice.objects.filter(user_id=user.pk).delete()
        TrustedBrowser.objects.filter(user_id=user.pk).delete()
