"""The business rules of django-twostep.

Users, devices and codes in; results out, or a :class:`~.errors.FlowError`
with a stable code. Nothing here sees a request: the HTML views and the DRF
views are thin glue over these functions, so every rule is written once.

Every comparison of a code goes through :func:`_checked`, which applies the
per-user back-off: the user's :class:`~.models.UserThrottle` row is locked for
the length of the check, a throttled user gets
:class:`~.errors.Throttled` before any code is compared, and the outcome
updates the record in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.safestring import SafeString
from django_otp.models import Device

from . import clock, crypto, qr
from .conf import twostep_settings
from .errors import FlowError, Throttled
from .models import (
    RECOVERY_CODE_PURPOSE,
    RecoveryCode,
    RecoveryCodeDevice,
    TOTPDevice,
    UserThrottle,
)

T = TypeVar("T")

# Longest input looked at as a code; anything longer is refused unread.
MAX_CODE_LENGTH = 64
_SEPARATORS = re.compile(r"[\s\-]+")
# Crockford's base32: no i, l, o or u, so codes survive being read aloud.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 12  # 12 x 5 bits = 60 bits of entropy per code
_CROCKFORD_ALIASES = str.maketrans({"o": "0", "i": "1", "l": "1"})


# -- codes ------------------------------------------------------------------


def normalize_code(raw: object) -> str | None:
    """A typed code without spaces and dashes, lower-cased; None if unusable.

    Accepts only strings of at most :data:`MAX_CODE_LENGTH` characters, so
    ``None``, numbers and huge inputs are refused without further work.
    """
    if not isinstance(raw, str) or len(raw) > MAX_CODE_LENGTH:
        return None
    return _SEPARATORS.sub("", raw).lower() or None


def _as_recovery_code(code: str) -> str | None:
    code = code.translate(_CROCKFORD_ALIASES)
    if len(code) == RECOVERY_CODE_LENGTH and all(c in RECOVERY_ALPHABET for c in code):
        return code
    return None


def _format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# -- the back-off -------------------------------------------------------------


def _locked_throttle(user: AbstractBaseUser) -> UserThrottle:
    row = UserThrottle.objects.select_for_update().filter(user_id=user.pk).first()
    if row is None:
        UserThrottle.objects.bulk_create([UserThrottle(user_id=user.pk)], ignore_conflicts=True)
        row = UserThrottle.objects.select_for_update().get(user_id=user.pk)
    return row


def _checked(user: AbstractBaseUser, check: Callable[[], T | None]) -> T:
    """Run one code comparison under the user's back-off.

    ``check`` returns a result for a right code and None for a wrong one. A
    throttled user gets :class:`Throttled` and ``check`` is not called.
    """
    with transaction.atomic():
        throttle = _locked_throttle(user)
        now = clock.now()
        wait = throttle.seconds_left(now)
        if wait:
            raise Throttled(wait)
        result = check()
        if result is None:
            throttle.record_failure(twostep_settings.THROTTLE_FACTOR, now)
        else:
            throttle.record_success()
    if result is None:
        raise FlowError("invalid_code", parameter="code")
    return result


def throttle_wait(user: AbstractBaseUser) -> int:
    """Seconds before the user's next code can be checked (0: now)."""
    return UserThrottle.seconds_left_for(user.pk)


# -- state --------------------------------------------------------------------


@dataclass(frozen=True)
class TwoFactorState:
    """What a user has set up, as the settings page and the API report it."""

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
    """The user's confirmed second-factor methods (recovery codes not included)."""
    return list(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True))


def has_two_factor(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


# -- TOTP -----------------------------------------------------------------------


@dataclass(frozen=True)
class TOTPEnrollment:
    """A pending authenticator-app secret, with the ways to show it."""

    device: TOTPDevice
    uri: str

    @property
    def secret(self) -> str:
        return self.device.base32_key

    @property
    def secret_grouped(self) -> str:
        """The secret in groups of four for typing by hand."""
        key = self.secret
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    def qr_svg(self) -> SafeString:
        return qr.svg(self.uri)

    def qr_png_base64(self) -> str:
        return qr.png_base64(self.uri)


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://totp/Issuer:account?...`` URI authenticator apps read."""
    issuer = twostep_settings.ISSUER
    account = device.user.get_username()
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = urlencode(
        {
            "secret": device.base32_key,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def begin_totp_setup(user: AbstractBaseUser) -> TOTPEnrollment:
    """Create a pending TOTP device with a fresh 160-bit secret.

    A pending device from an earlier call is replaced; an active one makes
    this refuse with ``already_enabled``.
    """
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
            raise FlowError("already_enabled")
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        device = TOTPDevice(
            user=user,
            name="Authenticator app",
            confirmed=False,
            step=twostep_settings.TOTP_PERIOD,
            digits=twostep_settings.TOTP_DIGITS,
            tolerance=twostep_settings.TOTP_TOLERANCE,
        )
        device.set_key(secrets.token_bytes(20))
        device.save()
    return TOTPEnrollment(device=device, uri=provisioning_uri(device))


def pending_totp(user: AbstractBaseUser) -> TOTPEnrollment | None:
    """The user's pending enrolment, if any (so a reloaded page shows the same secret)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    return TOTPEnrollment(device=device, uri=provisioning_uri(device)) if device else None


@dataclass(frozen=True)
class Activation:
    device: TOTPDevice
    # A fresh set when the user had no unused recovery codes; show it once.
    recovery_codes: list[str] | None


def activate_totp(user: AbstractBaseUser, code: object) -> Activation:
    """Activate the pending TOTP device with a first code from the app.

    The phone's clock offset is learned here (as drift), and the step used is
    consumed so the same code cannot log in afterwards. Counts for back-off.
    """
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        if has_two_factor(user):
            raise FlowError("already_enabled")
        raise FlowError("not_enrolled")
    normalized = _require_code(code)

    def check() -> TOTPDevice | None:
        counter = device.match(normalized)
        if counter is not None and device.consume_step(counter, confirm=True):
            return device
        return None

    _checked(user, check)
    codes = None if recovery_codes_remaining(user) else generate_recovery_codes(user)
    return Activation(device=device, recovery_codes=codes)


def disable_totp(user: AbstractBaseUser, code: object) -> None:
    """Remove the user's TOTP device after a current TOTP or recovery code.

    When no method remains, the recovery codes go too.
    """
    if not has_two_factor(user):
        raise FlowError("not_enrolled")
    verify_second_factor(user, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        if not has_two_factor(user):
            RecoveryCodeDevice.objects.filter(user_id=user.pk).delete()


# -- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """A verified second factor: which method, and the device to log in with."""

    method: str
    device: Device


def _require_code(code: object) -> str:
    normalized = normalize_code(code)
    if normalized is None:
        raise FlowError("invalid_code", parameter="code")
    return normalized


def _match_any(user: AbstractBaseUser, code: str, methods: set[str] | None) -> Verification | None:
    if methods is None or "totp" in methods:
        for device in TOTPDevice.objects.filter(user_id=user.pk, confirmed=True):
            counter = device.match(code)
            if counter is not None and device.consume_step(counter):
                return Verification("totp", device)
    if methods is None or "recovery_code" in methods:
        recovery = _as_recovery_code(code)
        if recovery is not None:
            device = RecoveryCodeDevice.objects.filter(user_id=user.pk).first()
            if device is not None and device.consume_code(recovery):
                return Verification("recovery_code", device)
    return None


def verify_second_factor(
    user: AbstractBaseUser, code: object, *, methods: set[str] | None = None
) -> Verification:
    """Check a code of any of the user's methods (or only of ``methods``).

    Digits are tried as a TOTP code, other shapes as a recovery code. A right
    code is used up; a wrong one counts for the back-off. Raises
    ``invalid_code`` or ``too_many_attempts``.
    """
    normalized = _require_code(code)
    return _checked(user, lambda: _match_any(user, normalized, methods))


def verify_device_code(device: TOTPDevice | RecoveryCodeDevice, token: object) -> bool:
    """django-otp's ``Device.verify_token`` for our devices, under the same back-off."""
    method = "totp" if isinstance(device, TOTPDevice) else "recovery_code"
    try:
        verification = verify_second_factor(device.user, token, methods={method})
    except FlowError:
        return False
    return verification.device.pk == device.pk


# -- recovery codes ---------------------------------------------------------------


def generate_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace the user's recovery codes with a fresh set and return it (shown once)."""
    count = twostep_settings.RECOVERY_CODE_COUNT
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(count)
    ]
    now = clock.now()
    with transaction.atomic():
        device, _created = RecoveryCodeDevice.objects.get_or_create(
            user_id=user.pk, defaults={"name": "Recovery codes", "confirmed": True}
        )
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(
                device=device,
                digest=crypto.digest(f"{user.pk}:{code}", purpose=RECOVERY_CODE_PURPOSE),
                created_at=now,
            )
            for code in codes
        )
    return [_format_recovery_code(code) for code in codes]


def regenerate_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """A new set for a user with an active method; the old set stops working."""
    if not has_two_factor(user):
        raise FlowError("not_enrolled")
    return generate_recovery_codes(user)


def recovery_codes_remaining(user: AbstractBaseUser) -> int:
    return RecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()
