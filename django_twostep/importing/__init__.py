"""Moving users' two-step methods over from django-otp, django-two-factor-auth or allauth.

``manage.py twostep_import`` is the front end; :func:`import_methods` does the
work and can be called from a data migration or a script too::

    from django_twostep.importing import import_methods
    report = import_methods("django-otp", dry_run=True)

Each source module reads the peer's rows into one :class:`UserPlan` per user
(:mod:`.otp` for django-otp and django-two-factor-auth, which share django-otp's
tables, and the WebAuthn plug-ins of both, django-two-factor-auth's and
django-otp-webauthn; :mod:`.allauth_mfa` for allauth); :mod:`.base` turns the
plans into django-twostep devices, all in one transaction. The peer's rows are
only read.

What comes over: TOTP secrets with their counters, unused recovery codes /
static tokens, and security keys and passkeys (WebAuthn credentials: the
credential id and COSE public key, the counter, and what the peer knew of the
key), which keep working without being registered again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from .base import (
    REASONS,
    ImportedKey,
    ImportFailed,
    ImportReport,
    Skipped,
    TOTPSecret,
    UserPlan,
    WebAuthnKey,
    apply_plans,
)

# --from values, in the order the command lists them.
SOURCES = ("django-otp", "two-factor", "allauth")


def _reader(source: str) -> Callable[[], dict[Any, UserPlan]]:
    if source in ("django-otp", "two-factor"):
        from .otp import read_plans

        return read_plans
    if source == "allauth":
        from .allauth_mfa import read_plans

        return read_plans
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")


def import_methods(source: str, *, dry_run: bool = False) -> ImportReport:
    """Create django-twostep methods for the users of ``source`` (one of :data:`SOURCES`).

    All or nothing: one transaction, rolled back on any error, and always
    rolled back with ``dry_run`` (so a dry run reports exactly what a real run
    would do). Users who already have a django-twostep method are skipped, so
    a second run changes nothing. Raises :class:`ImportFailed` when the source
    cannot be read (app not installed, a secret that does not decrypt).
    """
    read_plans = _reader(source)
    report = ImportReport(source=source, dry_run=dry_run)
    with transaction.atomic():
        apply_plans(read_plans(), report)
        if dry_run:
            transaction.set_rollback(True)
    return report


__all__ = [
    "REASONS",
    "SOURCES",
    "ImportFailed",
    "ImportReport",
    "ImportedKey",
    "Skipped",
    "TOTPSecret",
    "UserPlan",
    "WebAuthnKey",
    "import_methods",
]
