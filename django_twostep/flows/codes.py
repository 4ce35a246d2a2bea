"""Checking codes: normalisation, the per-user back-off, and verification.

Every comparison of a code, on every path, goes through :func:`checked`: the
user's :class:`~django_twostep.models.UserThrottle` row is locked
(``select_for_update``) for the length of the check, so one user's checks are
serialised across workers; a throttled user gets
:class:`~django_twostep.errors.Throttled` before any code is compared (and it
does not count); the outcome updates the record in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import OperationalError, transaction
from django.utils.functional import Promise
from django_otp.models import Device

from .. import clock
from ..conf import twostep_settings
from ..errors import FlowError, Throttled, busy, database_busy
from ..methods.base import CodeAlreadyUsed
from ..methods.registry import code_methods, get_method, method_of_device
from ..models import UserThrottle
from . import events
from .events import Origin
from .methods import active_methods

T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """A refused code, with what is known of it; :func:`checked` counts it as any
    wrong code.

    ``method``: the method the code was checked against (recorded with the
    ``code_failed`` event; empty when unknown). ``reason`` and ``detail``: why,
    when the person can act on it (``"code_used"``: a right code typed a second
    time), and what they read instead of the catalogue's detail.
    """

    method: str = ""
    reason: str = ""
    detail: str | Promise | None = None

    def __bool__(self) -> bool:
        """False, as the None a wrong code used to be: ``if match_code(...)`` stays safe."""
        return False


#: Longest input looked at as a code; anything longer is refused unread.
MAX_CODE_LENGTH = 64
_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_code(raw: object) -> str | None:
    """A typed code without spaces and dashes, lower-cased; None if unusable.

    Accepts only strings of at most :data:`MAX_CODE_LENGTH` characters, so
    ``None``, numbers and huge inputs are refused without further work.
    """
    if not isinstance(raw, str) or len(raw) > MAX_CODE_LENGTH:
        return None
    return _SEPARATORS.sub("", raw).lower() or None


def require_code(raw: object) -> str:
    """:func:`normalize_code`, refusing an unusable code with ``invalid_code``."""
    code = normalize_code(raw)
    if code is None:
        raise FlowError("invalid_code", parameter="code")
    return code


# -- the back-off -------------------------------------------------------------


def lock_user(user: AbstractBaseUser) -> UserThrottle:
    """Lock and return the user's back-off row (creating it); call inside ``atomic()``.

    Holding it serialises everything that must not race for one user: code
    checks and e-mail sends.
    """
    row = UserThrottle.objects.select_for_update().filter(user_id=user.pk).first()
    if row is None:
        UserThrottle.objects.bulk_create([UserThrottle(user_id=user.pk)], ignore_conflicts=True)
        row = UserThrottle.objects.select_for_update().get(user_id=user.pk)
    row.user = user  # already loaded: no query when events read it
    return row


def checked(
    user: AbstractBaseUser | None,
    check: Callable[[], T | Refusal | None],
    *,
    lock: Callable[[], UserThrottle] | None = None,
    on_failure: Callable[[], None] | None = None,
    on_success: Callable[[T], None] | None = None,
    method: str = "",
    origin: Origin | None = None,
    refusal: str = "invalid_code",
) -> T:
    """Run one code comparison under the user's back-off.

    ``check`` returns a result for a right code and None (or a :class:`Refusal`,
    which names the method tried and may say why) for a wrong one; it may raise
    a :class:`~django_twostep.errors.FlowError`, which rolls back everything it
    did. On a
    wrong code, ``on_failure`` runs inside the same transaction (a challenge
    spends an attempt there); on a right one, ``on_success`` runs with the
    result, also inside it (recording the event in the same commit). Raises
    ``too_many_attempts`` without calling ``check`` while the user must wait,
    and ``invalid_code`` for a wrong code.

    ``lock`` replaces :func:`lock_user` when the caller can find and lock the
    user's row in a query it needs anyway (the pending login does); it returns
    the locked row with ``.user`` loaded, and ``user`` may then be None.

    A busy database (SQLite's lock, a serialization failure) raises
    ``temporarily_unavailable`` after everything rolled back: no code spent,
    nothing counted, no event. ``refusal``: the error of a wrong answer
    (``invalid_credential`` for a security key's assertion). ``method``: the
    method recorded with a wrong answer's event, when ``check``'s
    :class:`Refusal` names none.
    """
    throttle = None
    try:
        with transaction.atomic():
            throttle = lock() if lock is not None else lock_user(user)
            now = clock.now()
            wait = throttle.seconds_left(now)
            if wait:
                raise Throttled(wait)
            result = check()
            if result is None:
                result = Refusal()
            if isinstance(result, Refusal):
                throttle.record_failure(twostep_settings.THROTTLE_FACTOR, now)
                if on_failure is not None:
                    on_failure()
                tried = result.method or method
                events.record("code_failed", throttle.user, method=tried, origin=origin)
            else:
                throttle.record_success()
                if on_success is not None:
                    on_success(result)
    except Throttled:
        events.record("throttled", throttle.user, method=method, origin=origin)
        raise
    except OperationalError as error:
        if database_busy(error):
            raise busy() from None
        raise
    if isinstance(result, Refusal):
        raise FlowError(
            refusal,
            parameter="code" if refusal == "invalid_code" else "credential",
            detail=result.detail,
            reason=result.reason or None,
        )
    return result


def throttle_wait(user: AbstractBaseUser) -> int:
    """Seconds before the user's next code can be checked (0: now)."""
    return UserThrottle.seconds_left_for(user.pk)


# -- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """A verified second factor: which method, and the device to log in with."""

    method: str
    device: Device


def match_code(
    user: AbstractBaseUser,
    code: str,
    methods: set[str] | None = None,
    *,
    devices: Mapping[str, Iterable[Device]] | None = None,
    chosen: str | None = None,
) -> Verification | Refusal:
    """Use up ``code`` (normalised) if it is right for one of the user's methods.

    The code methods of ``TWOSTEP_METHODS`` are tried in their order (by
    default: TOTP, then the live e-mailed code, whose wrong try is spent, then
    any shape a recovery code can have). Must run inside :func:`checked`;
    returns a :class:`Refusal` for a wrong code (``code_used`` when a method
    found it right but used already). ``methods`` narrows the names tried;
    ``devices``: a method's active devices by name, when the caller has just
    read them. ``chosen``: the method the person said they were using (the
    page's "Use a recovery code"); it narrows nothing, and names the method of
    a wrong code that fits its shape.
    """
    tried: list[str] = []
    used: tuple[str, CodeAlreadyUsed] | None = None
    for method in code_methods():
        if methods is not None and method.name not in methods:
            continue
        if not method.accepts(code):
            continue
        tried.append(method.name)
        preloaded = devices.get(method.name) if devices else None
        try:
            device = method.match(user, code, devices=preloaded)
        except CodeAlreadyUsed as already:
            used = used or (method.name, already)
            continue
        if device is not None:
            return Verification(method.name, device)
    if used is not None:
        return Refusal(used[0], reason="code_used", detail=used[1].detail)
    return Refusal(refused_method(user, tried, chosen=chosen, devices=devices))


def refused_method(
    user: AbstractBaseUser,
    tried: list[str],
    *,
    chosen: str | None = None,
    devices: Mapping[str, Iterable[Device]] | None = None,
) -> str:
    """The method a wrong code was meant for, for its event (empty: unknown).

    ``tried``: the methods whose shape the code fits, in order. The person's
    choice when the code fits it (or fits none); else the only method tried;
    else the first of them the user has (``devices`` answers for a method read
    already; the others cost one query, on this refusal only), recovery codes last.
    """
    if chosen and (chosen in tried or not tried):
        return chosen
    if len(tried) <= 1:
        return tried[0] if tried else ""
    active: set[str] | None = None
    backups = []
    for name in tried:
        method = get_method(name)
        if method is None or method.backup:
            backups.append(name)
            continue
        if devices is not None and name in devices:
            if list(devices[name]):
                return name
            continue
        if active is None:
            active = set(active_methods(user))
        if name in active:
            return name
    return backups[0] if backups else tried[0]


def verify_second_factor(
    user: AbstractBaseUser,
    code: object,
    *,
    methods: set[str] | None = None,
    chosen: str | None = None,
    origin: Origin | None = None,
) -> Verification:
    """Check a code of any of the user's methods (or only of ``methods``).

    A right code is used up (recorded as ``verified``, or
    ``recovery_code_used``); a wrong one counts for the back-off. Raises
    ``invalid_code`` or ``too_many_attempts``. ``chosen``: see :func:`match_code`.
    """
    normalized = require_code(code)
    return checked(
        user,
        lambda: match_code(user, normalized, methods, chosen=chosen),
        on_success=lambda verification: record_verification(user, verification, origin),
        origin=origin,
    )


def record_verification(
    user: AbstractBaseUser, verification: Verification, origin: Origin | None
) -> None:
    method = get_method(verification.method)
    if method is not None and method.backup:
        events.record("recovery_code_used", user, method=method.name, origin=origin)
    events.record("verified", user, method=verification.method, origin=origin)


def verify_device_code(device: Device, token: object) -> bool:
    """django-otp's ``Device.verify_token`` for our devices, under the same back-off."""
    method = method_of_device(device)
    if method is None:  # its method is not configured (TWOSTEP_METHODS)
        return False
    try:
        verification = verify_second_factor(device.user, token, methods={method.name})
    except FlowError:
        return False
    return verification.device.pk == device.pk
