"""Recovery codes: a set of single-use codes for when the phone is lost."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from ... import clock, crypto
from ...conf import twostep_settings
from ...errors import FlowError
from ...flows import events
from ...flows.events import Origin
from ...flows.methods import has_two_factor
from ...flows.policy import authorize_method_change
from ...models import RECOVERY_CODE_PURPOSE, ApiToken, RecoveryCode, RecoveryCodeDevice
from .codes import RECOVERY_ALPHABET, RECOVERY_CODE_LENGTH, format_recovery_code

METHOD = "recovery_code"


def generate_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace the user's recovery codes with a fresh set and return it (shown once)."""
    count = twostep_settings.RECOVERY_CODE_COUNT
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(count)
    ]
    store_recovery_codes(user.pk, codes)
    return [format_recovery_code(code) for code in codes]


def store_recovery_codes(user_id: Any, codes: list[str]) -> None:
    """Replace the user's set with ``codes`` (canonical forms), stored as keyed digests.

    Used for fresh sets and by ``twostep_import`` for sets moved from another package.
    A set an API client was still to be shown (``unseen_recovery_codes``) is
    void now, so it is never shown.
    """
    now = clock.now()
    with transaction.atomic():
        device, _created = RecoveryCodeDevice.objects.get_or_create(
            user_id=user_id, defaults={"name": "Recovery codes", "confirmed": True}
        )
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(
                device=device,
                digest=crypto.digest(f"{user_id}:{code}", purpose=RECOVERY_CODE_PURPOSE),
                created_at=now,
            )
            for code in codes
        )
        ApiToken.objects.filter(user_id=user_id).exclude(unseen_recovery_codes="").update(
            unseen_recovery_codes=""
        )


def regenerate_recovery_codes(
    user: AbstractBaseUser, *, verified_at: datetime | None = None, origin: Origin | None = None
) -> list[str]:
    """A new set for a user with an active method; the old set stops working.

    A step-up action: ``verified_at`` (when the session or token last passed a
    second factor) must be within the grace, else ``mfa_code_missing``.
    """
    if not has_two_factor(user):
        raise FlowError("not_enrolled")
    authorize_method_change(user, verified_at)
    codes = generate_recovery_codes(user)
    events.record("recovery_codes_regenerated", user, method=METHOD, origin=origin)
    return codes


def recovery_codes_remaining(user: AbstractBaseUser) -> int:
    """The user's unused recovery codes."""
    return RecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()
