"""What every import shares: the per-user plan, the report, and writing our devices."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.contrib.auth import get_user_model
from fido2 import cbor
from fido2.cose import CoseKey, UnsupportedKey
from fido2.utils import websafe_encode

from ..flows.codes import normalize_code
from ..flows.methods import method_models
from ..methods.recovery_codes.codes import as_imported_code
from ..methods.recovery_codes.flows import store_recovery_codes
from ..models import TOTPDevice, WebAuthnCredential

logger = logging.getLogger("django_twostep.importing")

# Why a row was not imported: stable codes (tests and scripts match on them)
# and the sentence the command prints.
REASONS: dict[str, str] = {
    "already_enrolled": "the user already has a django-twostep method",
    "not_confirmed": "the device was never confirmed (set-up not finished)",
    "another_totp_device": (
        "another authenticator app of this user was imported (django-twostep keeps one per user)"
    ),
    "no_authenticator_app": (
        "recovery codes back up another method, and this user has no authenticator app "
        "or security key that is imported"
    ),
    "unsupported_method": "django-twostep has no such method (phone, YubiKey OTP, e-mail, ...)",
    "unusable_code": (
        "the code cannot be typed at django-twostep (shorter than 6 characters, "
        "or not printable ASCII)"
    ),
    "invalid_secret": "the stored secret is not a valid TOTP key",
    "invalid_credential": (
        "the stored security key cannot be used (no credential id, or a public key that is "
        "not a COSE key of an algorithm django-twostep checks)"
    ),
    "credential_exists": (
        "this security key (its credential id) is registered at django-twostep already, "
        "or came from another row of this import"
    ),
    "webauthn_not_configured": (
        "security keys are not among TWOSTEP_METHODS "
        "(django_twostep.methods.webauthn.WebAuthnMethod)"
    ),
}

DEVICE_NAME = "Authenticator app"
# The name of an imported security key whose peer kept none.
KEY_NAME = "Security key"
# django-otp's Device.name; and the longest credential id WebAuthn allows (Level 3).
MAX_KEY_NAME_LENGTH = 64
MAX_CREDENTIAL_ID_BYTES = 1023


class ImportFailed(Exception):
    """The import cannot go on; nothing was saved. The message holds no secret."""


@dataclass(frozen=True)
class Skipped:
    """A row of the peer that was not imported, and why (a key of :data:`REASONS`)."""

    user_id: Any
    row: str
    reason: str

    @property
    def explanation(self) -> str:
        return REASONS[self.reason]


@dataclass(frozen=True)
class TOTPSecret:
    """An authenticator-app secret read from a peer, with the counters to keep.

    ``last_t`` is the last time step that must never be accepted again (-1:
    none); ``drift`` the phone's learned clock offset, in steps.
    """

    row: str
    key: bytes
    step: int
    digits: int
    tolerance: int
    t0: int = 0
    drift: int = 0
    last_t: int = -1
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class WebAuthnKey:
    """A security key or passkey read from a peer: what verifying its assertions needs.

    ``credential_id`` is the raw id (bytes), ``public_key`` the COSE key as CBOR
    bytes; the rest is what the peer knew of it (``aaguid`` in the dashed form,
    or "").
    """

    row: str
    credential_id: bytes
    public_key: bytes
    sign_count: int = 0
    name: str = ""
    transports: tuple[str, ...] = ()
    aaguid: str = ""
    discoverable: bool = False
    backup_eligible: bool = False
    backed_up: bool = False
    created_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def encoded_id(self) -> str:
        """The credential id as django-twostep stores it (base64url, no padding)."""
        return websafe_encode(self.credential_id)


def usable_public_key(public_key: bytes) -> bool:
    """Whether ``public_key`` is CBOR of a COSE key that fido2 can check a signature with.

    The key is loaded the way a login loads it, and made to check a signature
    that cannot match: a usable key refuses it (``InvalidSignature``); a point
    off its curve, a missing coordinate or an unknown algorithm fails otherwise.
    """
    try:
        decoded = cbor.decode(public_key)
        if not isinstance(decoded, dict):
            return False
        key = CoseKey.parse(decoded)
        if isinstance(key, UnsupportedKey):
            return False
        key.verify(b"", b"")
    except InvalidSignature:
        return True
    except Exception:  # CBOR, COSE and key loading raise whatever the bytes lead to
        return False
    return False  # an empty signature never verifies


def aaguid_text(value: object) -> str:
    """An AAGUID (16 bytes, or text with or without dashes) in the dashed form; "" if none."""
    try:
        if isinstance(value, bytes | bytearray | memoryview):
            parsed = uuid.UUID(bytes=bytes(value))
        elif isinstance(value, str) and value.strip():
            parsed = uuid.UUID(value.strip())
        else:
            return ""
    except ValueError:
        return ""
    return str(parsed)


def key_name(name: object) -> str:
    """A peer's name for a key, as ours (django-otp's 64 characters); :data:`KEY_NAME` if none."""
    text = " ".join(str(name or "").split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_KEY_NAME_LENGTH].strip() or KEY_NAME


def transports_of(value: object) -> tuple[str, ...]:
    """The transports a peer kept (a list of strings), at most ten, as registering keeps them."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(t) for t in value if isinstance(t, str) and 0 < len(t) <= 32)[:10]


@dataclass
class UserPlan:
    """What one user has at the peer, as the django-twostep methods to create."""

    user_id: Any
    totp: TOTPSecret | None = None
    # Stored forms (see methods.recovery_codes.codes.as_imported_code), and the rows they came from.
    recovery_codes: list[str] = field(default_factory=list)
    recovery_rows: list[str] = field(default_factory=list)
    webauthn: list[WebAuthnKey] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Whether the peer asked this user for a second factor (any confirmed row).
    had_active_method: bool = False

    def skip(self, row: str, reason: str) -> None:
        self.skipped.append(Skipped(self.user_id, row, reason))

    def add_recovery_code(self, raw: object, *, row: str, set_row: str | None = None) -> None:
        """Add an unused code of the peer, as the user types it, or skip ``row``.

        ``set_row`` names the peer's set the code belongs to (default: ``row``).
        """
        normalized = normalize_code(raw)
        stored = as_imported_code(normalized) if normalized else None
        if stored is None:
            self.skip(row, "unusable_code")
            return
        if stored not in self.recovery_codes:
            self.recovery_codes.append(stored)
        set_row = set_row or row
        if set_row not in self.recovery_rows:
            self.recovery_rows.append(set_row)

    def add_webauthn_key(self, key: WebAuthnKey) -> None:
        """Add a confirmed security key of the peer, or skip its row when it cannot be used."""
        if (
            not key.credential_id
            or len(key.credential_id) > MAX_CREDENTIAL_ID_BYTES
            or not usable_public_key(key.public_key)
        ):
            self.skip(key.row, "invalid_credential")
            return
        self.webauthn.append(key)


@dataclass(frozen=True)
class ImportedKey:
    """A security key that was imported: its user and the peer's row (no key material)."""

    user_id: Any
    row: str


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do). Holds no secret or code."""

    source: str
    dry_run: bool
    users: list[Any] = field(default_factory=list)  # pks of the users who got methods
    totp_devices: int = 0
    # The security keys created, with the peer's row each came from.
    webauthn_keys: list[ImportedKey] = field(default_factory=list)
    recovery_code_sets: int = 0
    recovery_codes: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # Users whom the peer asked for a second factor but who got nothing here
    # (and had no django-twostep method): after the switch, a password alone.
    users_left_without_method: list[Any] = field(default_factory=list)

    @property
    def webauthn_credentials(self) -> int:
        return len(self.webauthn_keys)

    def reasons(self) -> Counter[str]:
        return Counter(skip.reason for skip in self.skipped)


def apply_plans(plans: dict[Any, UserPlan], report: ImportReport) -> None:
    """Create our devices for every plan; the caller holds the transaction."""
    models = method_models()
    # All of them rather than an IN over every plan: no parameter limit to hit.
    enrolled = {
        user_id
        for model in models.values()
        for user_id in model.objects.filter(confirmed=True).values_list("user_id", flat=True)
    }
    webauthn_on = WebAuthnCredential in models.values()
    # Credential ids are unique here: those of any user's key, and those taken in this run.
    taken = _registered_ids(key.encoded_id for plan in plans.values() for key in plan.webauthn)
    for user_id in sorted(plans):
        plan = plans[user_id]
        report.skipped.extend(plan.skipped)
        key_rows = [key.row for key in plan.webauthn]
        if user_id in enrolled:
            rows = ([plan.totp.row] if plan.totp else []) + key_rows + plan.recovery_rows
            report.skipped.extend(Skipped(user_id, row, "already_enrolled") for row in rows)
            continue
        keys: list[WebAuthnKey] = []
        for key in plan.webauthn:
            if not webauthn_on:
                report.skipped.append(Skipped(user_id, key.row, "webauthn_not_configured"))
            elif key.encoded_id in taken:
                report.skipped.append(Skipped(user_id, key.row, "credential_exists"))
            else:
                taken.add(key.encoded_id)
                keys.append(key)
        if plan.totp is None and not keys:
            report.skipped.extend(
                Skipped(user_id, row, "no_authenticator_app") for row in plan.recovery_rows
            )
            if plan.had_active_method:
                report.users_left_without_method.append(user_id)
            continue
        if plan.totp is not None:
            _create_totp(user_id, plan.totp)
            report.totp_devices += 1
        for key in keys:
            _create_webauthn_credential(user_id, key)
            report.webauthn_keys.append(ImportedKey(user_id, key.row))
        if plan.recovery_codes:
            store_recovery_codes(user_id, plan.recovery_codes)
            report.recovery_code_sets += 1
            report.recovery_codes += len(plan.recovery_codes)
        report.users.append(user_id)
        logger.info(
            "twostep import user=%s source=%s totp=%d webauthn=%d recovery_codes=%d",
            user_id,
            report.source,
            int(plan.totp is not None),
            len(keys),
            len(plan.recovery_codes),
        )


def _registered_ids(encoded_ids: Iterable[str]) -> set[str]:
    """Which of ``encoded_ids`` a credential here has already, in batches of 500."""
    wanted = sorted(set(encoded_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        found.update(
            WebAuthnCredential.objects.filter(credential_id__in=batch).values_list(
                "credential_id", flat=True
            )
        )
    return found


def _create_totp(user_id: Any, secret: TOTPSecret) -> TOTPDevice:
    # A pending set-up of ours would clash with the imported device on activation.
    TOTPDevice.objects.filter(user_id=user_id, confirmed=False).delete()
    device = TOTPDevice(
        user_id=user_id,
        name=DEVICE_NAME,
        confirmed=True,
        step=secret.step,
        t0=secret.t0,
        digits=secret.digits,
        tolerance=secret.tolerance,
        drift=secret.drift,
        last_t=secret.last_t,
        last_used_at=secret.last_used_at,
    )
    device.set_key(secret.key)
    device.save()
    return device


def _create_webauthn_credential(user_id: Any, key: WebAuthnKey) -> WebAuthnCredential:
    credential = WebAuthnCredential.objects.create(
        user_id=user_id,
        name=key.name or KEY_NAME,
        confirmed=True,
        credential_id=key.encoded_id,
        public_key=key.public_key,
        sign_count=max(0, key.sign_count),
        transports=list(key.transports),
        aaguid=key.aaguid,
        discoverable=key.discoverable,
        backup_eligible=key.backup_eligible,
        backed_up=key.backed_up,
        last_used_at=key.last_used_at,
    )
    if key.created_at is not None:
        # created_at is django-otp's auto_now_add: the peer's date goes in afterwards.
        WebAuthnCredential.objects.filter(pk=credential.pk).update(created_at=key.created_at)
        credential.created_at = key.created_at
    return credential


def usernames(user_ids: list[Any]) -> dict[Any, str]:
    """Usernames by pk, for the summary."""
    user_model = get_user_model()
    users = user_model._default_manager.filter(pk__in=user_ids)
    return {user.pk: user.get_username() for user in users}
