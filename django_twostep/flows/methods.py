"""What a user has set up: active methods, pending enrolments, recovery codes left."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import CharField, Value
from django_otp.models import Device

from ..methods.registry import backup_method, primary_methods


def method_models() -> dict[str, type[Device]]:
    """Method name -> device model, for the methods of ``TWOSTEP_METHODS`` that turn
    two-step login on (recovery codes back them up and are not one)."""
    return {method.name: method.device_model for method in primary_methods()}


@dataclass(frozen=True)
class TwoFactorState:
    """A user's two-factor set-up, as the settings page and the API report it."""

    enabled: bool
    pending: bool
    methods: list[str]
    recovery_codes_remaining: int
    # Methods whose set-up was started and not finished.
    pending_methods: list[str] = field(default_factory=list)


def _device_flags(user: AbstractBaseUser, *, pending: bool = False) -> dict[str, bool]:
    """``{"totp": ..., "email": ...}`` (and ``"totp_pending"``... with ``pending``), one query.

    A ``UNION ALL`` of one small query per method and state (its
    :meth:`~django_twostep.methods.base.Method.devices`), each naming its flag:
    about half the cost of building ``EXISTS`` annotations on the user.
    """
    states = [(True, "")] + ([(False, "_pending")] if pending else [])
    names = [method.name for method in primary_methods()]
    parts = [
        method.devices(user, confirmed=confirmed).values_list(
            Value(method.name + suffix, output_field=CharField())
        )
        for method in primary_methods()
        for confirmed, suffix in states
    ]
    if not parts:
        return {}
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found = {flag for (flag,) in query}
    return {name + suffix: name + suffix in found for name in names for _, suffix in states}


def active_methods(user: AbstractBaseUser) -> list[str]:
    """Names of the user's active methods, e.g. ``["totp", "email"]`` (one query)."""
    flags = _device_flags(user)
    return [method.name for method in primary_methods() if flags[method.name]]


def has_two_factor(user: AbstractBaseUser) -> bool:
    return bool(active_methods(user))


def two_factor_state(user: AbstractBaseUser) -> TwoFactorState:
    flags = _device_flags(user, pending=True)
    names = [method.name for method in primary_methods()]
    methods = [name for name in names if flags[name]]
    pending = [name for name in names if flags[f"{name}_pending"]]
    return TwoFactorState(
        enabled=bool(methods),
        pending=bool(pending),
        methods=methods,
        recovery_codes_remaining=recovery_codes_remaining(user),
        pending_methods=pending,
    )


def active_devices(user: AbstractBaseUser) -> list[Device]:
    """The user's confirmed method devices."""
    return [device for method in primary_methods() for device in method.devices(user)]


def recovery_codes_remaining(user: AbstractBaseUser) -> int:
    """Unused codes of the backup method (recovery codes); 0 when none is configured."""
    backup = backup_method()
    return backup.codes_remaining(user) if backup is not None else 0
