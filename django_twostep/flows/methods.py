"""What a user has set up: active methods, pending enrolment, recovery codes left."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django_otp.models import Device

from ..models import RecoveryCode, TOTPDevice


@dataclass(frozen=True)
class TwoFactorState:
    """A user's two-factor set-up, as the settings page and the API report it."""

    enabled: bool
    pending: bool
    methods: list[str]
    recovery_codes_remaining: int


def two_factor_state(user: AbstractBaseUser) -> TwoFactorState:
    totp = list(TOTPDevice.objects.filter(user_id=user.pk).values_list("confirmed", flat=True))
    methods = ["totp"] if True in totp else []
    return TwoFactorState(
        enabled=bool(methods),
        pending=False in totp,
        methods=methods,
        recovery_codes_remaining=recovery_codes_remaining(user),
    )


def active_devices(user: AbstractBaseUser) -> list[Device]:
    """The user's confirmed methods (recovery codes back them up; they are not one)."""
    return list(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True))


def active_methods(user: AbstractBaseUser) -> list[str]:
    """Names of the user's active methods, e.g. ``["totp"]``."""
    return ["totp"] if has_two_factor(user) else []


def has_two_factor(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_remaining(user: AbstractBaseUser) -> int:
    return RecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()
