"""What every import shares: the per-user plan, the report, and writing our devices."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from ..flows.codes import normalize_code
from ..flows.methods import method_models
from ..methods.recovery_codes.codes import as_imported_code
from ..methods.recovery_codes.flows import store_recovery_codes
from ..models import TOTPDevice

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
        "recovery codes back up an authenticator app, and this user has no confirmed one"
    ),
    "unsupported_method": "django-twostep has no such method (phone, e-mail, security key, ...)",
    "unusable_code": (
        "the code cannot be typed at django-twostep (shorter than 6 characters, "
        "or not printable ASCII)"
    ),
    "invalid_secret": "the stored secret is not a valid TOTP key",
}

DEVICE_NAME = "Authenticator app"


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


@dataclass
class UserPlan:
    """What one user has at the peer, as the django-twostep methods to create."""

    user_id: Any
    totp: TOTPSecret | None = None
    # Stored forms (see methods.recovery_codes.codes.as_imported_code), and the rows they came from.
    recovery_codes: list[str] = field(default_factory=list)
    recovery_rows: list[str] = field(default_factory=list)
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


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do). Holds no secret or code."""

    source: str
    dry_run: bool
    users: list[Any] = field(default_factory=list)  # pks of the users who got methods
    totp_devices: int = 0
    recovery_code_sets: int = 0
    recovery_codes: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # Users whom the peer asked for a second factor but who got nothing here
    # (and had no django-twostep method): after the switch, a password alone.
    users_left_without_method: list[Any] = field(default_factory=list)

    def reasons(self) -> Counter[str]:
        return Counter(skip.reason for skip in self.skipped)


def apply_plans(plans: dict[Any, UserPlan], report: ImportReport) -> None:
    """Create our devices for every plan; the caller holds the transaction."""
    # All of them rather than an IN over every plan: no parameter limit to hit.
    enrolled = {
        user_id
        for model in method_models().values()
        for user_id in model.objects.filter(confirmed=True).values_list("user_id", flat=True)
    }
    for user_id in sorted(plans):
        plan = plans[user_id]
        report.skipped.extend(plan.skipped)
        if user_id in enrolled:
            rows = ([plan.totp.row] if plan.totp else []) + plan.recovery_rows
            report.skipped.extend(Skipped(user_id, row, "already_enrolled") for row in rows)
            continue
        if plan.totp is None:
            report.skipped.extend(
                Skipped(user_id, row, "no_authenticator_app") for row in plan.recovery_rows
            )
            if plan.had_active_method:
                report.users_left_without_method.append(user_id)
            continue
        _create_totp(user_id, plan.totp)
        report.totp_devices += 1
        if plan.recovery_codes:
            store_recovery_codes(user_id, plan.recovery_codes)
            report.recovery_code_sets += 1
            report.recovery_codes += len(plan.recovery_codes)
        report.users.append(user_id)
        logger.info(
            "twostep import user=%s source=%s totp=1 recovery_codes=%d",
            user_id,
            report.source,
            len(plan.recovery_codes),
        )


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


def usernames(user_ids: list[Any]) -> dict[Any, str]:
    """Usernames by pk, for the summary."""
    user_model = get_user_model()
    users = user_model._default_manager.filter(pk__in=user_ids)
    return {user.pk: user.get_username() for user in users}
