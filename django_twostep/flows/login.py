"""The two-step login: a pending login after the password, completed by a code.

Shared by page 2 of the HTML login and the API's ``two_factor_id``. Neither
function here runs the password hasher: the password is checked before
:func:`begin_login`, and :func:`verify_login_code` only compares a keyed digest
of the stored password hash to notice a password change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from .. import clock, crypto
from ..conf import twostep_settings
from ..errors import FlowError
from ..methods.registry import method_names
from ..models import Challenge, TOTPDevice, UserThrottle
from . import events
from .codes import (
    Verification,
    checked,
    lock_user,
    match_code,
    record_verification,
    require_code,
)
from .events import Origin
from .methods import active_methods

CHALLENGE_PURPOSE = "challenge"
PASSWORD_PURPOSE = "password-fingerprint"
_MAX_ID_LENGTH = 100


def password_fingerprint(user: AbstractBaseUser) -> str:
    """A keyed digest of the stored password hash: changes when the password does."""
    return crypto.digest(user.password or "", purpose=PASSWORD_PURPOSE)


@dataclass(frozen=True)
class PendingLogin:
    """A login waiting for its second factor.

    ``id`` is the secret that proves the password step: it goes into the
    session (pages) or to the client as ``two_factor_id`` (API) and nowhere
    else, never into a log or a URL.
    """

    id: str
    user: AbstractBaseUser
    methods: list[str]
    expires_in: int


@dataclass(frozen=True)
class LoginResult:
    user: AbstractBaseUser
    verification: Verification


def begin_login(
    user: AbstractBaseUser,
    *,
    origin: Origin | None = None,
    methods: list[str] | None = None,
) -> PendingLogin | None:
    """Start the second step for a user whose password was right.

    Returns None when the user has no active method (log them in now).
    ``methods``: the user's active methods, when the caller just read them.
    """
    methods = active_methods(user) if methods is None else methods
    if not methods:
        return None
    raw_id = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    ttl = twostep_settings.CHALLENGE_TTL
    with transaction.atomic():  # one commit for both rows
        Challenge.objects.create(
            digest=crypto.digest(raw_id, purpose=CHALLENGE_PURPOSE),
            user=user,
            password_digest=password_fingerprint(user),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            attempts_left=twostep_settings.CHALLENGE_MAX_ATTEMPTS,
        )
        events.record("challenge_created", user, origin=origin)
    return PendingLogin(id=raw_id, user=user, methods=methods, expires_in=ttl)


def _live(challenge_id: str) -> dict[str, object]:
    """Lookups (relative to a challenge) that only a live challenge matches."""
    return {
        "digest__in": crypto.digests(challenge_id, purpose=CHALLENGE_PURPOSE),
        "consumed_at__isnull": True,
        "attempts_left__gt": 0,
        "expires_at__gt": clock.now(),
    }


def _check_id(challenge_id: object) -> str:
    if not isinstance(challenge_id, str) or not 0 < len(challenge_id) <= _MAX_ID_LENGTH:
        raise FlowError("two_factor_expired", parameter="two_factor_id")
    return challenge_id


def _still_valid_for(user: AbstractBaseUser, password_digest: str) -> bool:
    return user.is_active and constant_time_compare(password_digest, password_fingerprint(user))


def pending_login(challenge_id: object) -> Challenge:
    """The live challenge for ``challenge_id`` (with its user), or ``two_factor_expired``.

    A challenge is dead once expired, used, out of attempts, or when its user
    is inactive or has changed password since.
    """
    live = _live(_check_id(challenge_id))
    challenge = Challenge.objects.select_related("user").filter(**live).first()
    if challenge is None or not _still_valid_for(challenge.user, challenge.password_digest):
        raise FlowError("two_factor_expired", parameter="two_factor_id")
    return challenge


def _lock_owner(challenge_id: str) -> tuple[UserThrottle, int, list[TOTPDevice] | None]:
    """Find a live challenge and lock its user's back-off row, in one query.

    Returns the locked row (``.user`` loaded), the challenge's id, and the
    user's active TOTP device (a list of at most one), read in the same query.
    Falls back to more queries for a user who has no back-off row yet (the
    devices are then None: not read).
    """
    live = {f"user__twostep_challenges__{key}": value for key, value in _live(challenge_id).items()}
    # Only the back-off row is locked. On PostgreSQL, a request that waited for
    # that lock sees the challenge and the device as they were before it waited:
    # the challenge is claimed again by a conditional UPDATE in check(), and a
    # time step is used up by one (TOTPDevice.consume_step), so a stale row can
    # make a code fail, never pass twice.
    # At most one row can match (one challenge per digest, one back-off row and
    # one active TOTP device per user): a slice, not first(), whose ORDER BY
    # costs more to build than the rest of the query takes to run.
    rows = (
        UserThrottle.objects.select_for_update(of=("self",))
        .annotate(
            active_totp=FilteredRelation(
                "user__twostep_totp_devices",
                condition=Q(user__twostep_totp_devices__confirmed=True),
            )
        )
        .select_related("user", "active_totp")
        .filter(**live)
        .annotate(
            challenge_pk=F("user__twostep_challenges__pk"),
            challenge_password=F("user__twostep_challenges__password_digest"),
        )[:1]
    )
    row = next(iter(rows), None)
    if row is not None:
        if not _still_valid_for(row.user, row.challenge_password):
            raise FlowError("two_factor_expired", parameter="two_factor_id")
        # Django leaves the attribute unset when the outer join found no device.
        totp = getattr(row, "active_totp", None)
        return row, row.challenge_pk, [totp] if totp is not None else []
    challenge = pending_login(challenge_id)  # dead: two_factor_expired
    return lock_user(challenge.user), challenge.pk, None


def verify_login_code(
    challenge_id: object,
    code: object,
    *,
    method: str | None = None,
    origin: Origin | None = None,
) -> LoginResult:
    """Complete a pending login with a code (TOTP, e-mail or recovery; ``method`` narrows it).

    A dead challenge answers ``two_factor_expired`` before the back-off is
    considered. A wrong code spends one of the challenge's attempts and counts
    for the user's back-off; the last attempt burns the challenge, and the
    error then has ``meta["attempts_left"] == 0``. A right code uses up the
    challenge, so it completes one login only.
    """
    challenge_id = _check_id(challenge_id)
    if method is not None and method not in method_names():
        raise FlowError("validation_error", parameter="method")
    # Filled by lock(), which runs first inside checked()'s transaction.
    state: dict[str, Any] = {}

    def lock() -> UserThrottle:
        state["throttle"], state["pk"], state["totp"] = _lock_owner(challenge_id)
        state["code"] = require_code(code)
        return state["throttle"]

    def still_live() -> QuerySet[Challenge]:
        return Challenge.objects.filter(
            pk=state["pk"], consumed_at__isnull=True, attempts_left__gt=0
        )

    def check() -> Verification | None:
        # Claim the challenge for this attempt before any code is compared: one
        # conditional UPDATE spends an attempt and marks it used, and matches only
        # a live challenge. lock() found it live, but it read the challenge before
        # the user's lock was granted: requests queued behind that lock would
        # otherwise compare codes on a challenge burned meanwhile (past its
        # budget, and answering a right guess differently from a wrong one).
        now = clock.now()
        claimed = (
            still_live()
            .filter(expires_at__gt=now)
            .update(consumed_at=now, attempts_left=F("attempts_left") - 1)
        )
        if not claimed:
            raise FlowError("two_factor_expired", parameter="two_factor_id")
        user = state["throttle"].user
        methods = {method} if method else None
        preloaded = {"totp": state["totp"]} if state["totp"] is not None else None
        verification = match_code(user, state["code"], methods, devices=preloaded)
        if verification is None:  # wrong: the attempt stays spent, the challenge usable
            Challenge.objects.filter(pk=state["pk"]).update(consumed_at=None)
        return verification

    def verified(verification: Verification) -> None:
        record_verification(state["throttle"].user, verification, origin)

    try:
        verification = checked(None, check, lock=lock, on_success=verified, origin=origin)
    except FlowError as error:
        if error.code == "invalid_code" and "pk" in state:
            left = Challenge.objects.filter(pk=state["pk"]).values_list("attempts_left", flat=True)
            error.meta["attempts_left"] = left.first() or 0
            if not error.meta["attempts_left"]:
                error.detail = _("Too many wrong codes. Log in again.")
        raise
    return LoginResult(user=state["throttle"].user, verification=verification)


def invalidate_challenges(user: AbstractBaseUser) -> None:
    """Kill the user's pending logins (their two-factor set-up just changed)."""
    Challenge.objects.filter(user_id=user.pk, consumed_at__isnull=True).delete()
