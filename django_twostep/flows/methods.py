"""What a user has set up: active methods, pending enrolments, recovery codes left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import CharField, QuerySet, Value
from django_otp.models import Device

from ..methods.base import Method
from ..methods.registry import backup_method, get_method, primary_methods
from ..prepared import Prepared


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
    states = _states(pending)
    methods = primary_methods()
    if not methods:
        return {}
    names = tuple(method.name for method in methods)
    if all(type(method).devices is Method.devices for method in methods):
        # Every method finds its devices by the user's primary key alone: the
        # statement is built once (prepared.py) and run for this user.
        rows = _flags.rows((names, pending), user.pk)
    else:
        rows = list(_flags_query(methods, pending, user))
    found = {flag for (flag,) in rows}
    return {name + suffix: name + suffix in found for name in names for _, suffix in states}


def _states(pending: bool) -> list[tuple[bool, str]]:
    return [(True, "")] + ([(False, "_pending")] if pending else [])


def _flags_query(methods: list[Method], pending: bool, user: AbstractBaseUser) -> QuerySet[Any]:
    parts = [
        method.devices(user, confirmed=confirmed).values_list(
            Value(method.name + suffix, output_field=CharField())
        )
        for method in methods
        for confirmed, suffix in _states(pending)
    ]
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def _prepared_flags_query(shape: tuple[tuple[str, ...], bool], user_pk: int) -> QuerySet[Any]:
    names, pending = shape
    methods = [get_method(name) for name in names]
    # The methods only read the primary key (they use Method.devices).
    return _flags_query(methods, pending, get_user_model()(pk=user_pk))


_flags = Prepared(lambda: primary_methods()[0].device_model, _prepared_flags_query)


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
