"""The two-step login: a pending login after the password, completed by a code.

Shared by page 2 of the HTML login and the API's ``two_factor_id``. Neither
function here runs the password hasher: the password is checked before
:func:`begin_login`, and :func:`verify_login_code` only compares a keyed digest
of the stored password hash to notice a password change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from .. import clock, crypto
from ..adapter import get_adapter
from ..conf import twostep_settings
from ..errors import FlowError
from ..methods.base import Method, Site
from ..methods.registry import all_methods, code_methods, get_method
from ..models import Challenge, UserThrottle
from ..prepared import Prepared, PreparedUpdate
from . import events
from .codes import (
    Refusal,
    Verification,
    checked,
    lock_user,
    match_code,
    record_verification,
    require_code,
    verify_second_factor,
)
from .events import Origin
from .methods import active_methods
from .passwords import password_fingerprint
from .trust import use_trusted_browser

CHALLENGE_PURPOSE = "challenge"
_MAX_ID_LENGTH = 100


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
    # The challenge row's key: binds the ceremonies of this login to it.
    pk: int | None = None


@dataclass(frozen=True)
class LoginResult:
    user: AbstractBaseUser
    verification: Verification


@dataclass(frozen=True)
class LoginStep:
    """Where a right password leads (:func:`password_accepted`).

    - ``pending``: a code is needed; the pending login to complete (page 2,
      ``two_factor_id``).
    - otherwise the user is logged in now: ``verification`` is None for a user
      with no method, or what verified the login (a trusted browser, or a code
      sent with the password).
    """

    user: AbstractBaseUser
    pending: PendingLogin | None = None
    verification: Verification | None = None
    # The verification proved a second factor just now (starts the step-up
    # grace); a trusted browser's does not.
    fresh: bool = False


def check_login_allowed(user: AbstractBaseUser | None) -> AbstractBaseUser:
    """The user ``authenticate()`` returned, if they may log in; else ``invalid_credentials``.

    No user (unknown, wrong password) and a refused one (inactive, or what the
    adapter's :meth:`~django_twostep.adapter.DefaultAdapter.login_allowed` says)
    get the same answer, on the pages and the API alike.
    """
    if user is None or not get_adapter().login_allowed(user):
        raise FlowError("invalid_credentials")
    return user


def password_accepted(
    user: AbstractBaseUser, *, trusted_browser: object = None, origin: Origin | None = None
) -> LoginStep:
    """The login's next step for a user whose password was right.

    No active method: logged in now. A token of a browser the user trusts
    (``trusted_browser``, from its cookie): logged in now, verified by it.
    Otherwise: a pending login, and nobody is logged in yet.
    """
    methods = active_methods(user)
    if not methods:
        return LoginStep(user)
    if trusted_browser is not None:
        verification = use_trusted_browser(user, trusted_browser, origin=origin)
        if verification is not None:
            return LoginStep(user, verification=verification)
    return LoginStep(user, pending=begin_login(user, origin=origin, methods=methods))


def login_in_one_request(
    user: AbstractBaseUser, code: object, *, origin: Origin | None = None
) -> LoginStep:
    """The password and a code together (the API's ``code``, ``auth_token``, ``X-OTP``).

    A user with no method is logged in and the code ignored. Otherwise the
    code must be right for one of the user's methods (under the back-off); no
    pending login is made: each try proves the password again (the hasher runs
    once per try), so a challenge's attempt budget would be one by construction.
    """
    if not active_methods(user):
        return LoginStep(user)
    verification = verify_second_factor(user, code, origin=origin)
    return LoginStep(user, verification=verification, fresh=True)


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
        row = Challenge.objects.create(
            digest=crypto.digest(raw_id, purpose=CHALLENGE_PURPOSE),
            user=user,
            password_digest=password_fingerprint(user),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            attempts_left=twostep_settings.CHALLENGE_MAX_ATTEMPTS,
        )
        events.record("challenge_created", user, origin=origin)
    return PendingLogin(id=raw_id, user=user, methods=methods, expires_in=ttl, pk=row.pk)


def begin_login_ceremony(challenge_id: object, method: str | None, site: Site) -> dict[str, Any]:
    """New options of a ceremony (a security key) for a pending login: page 2's button,
    or an API client's next try after a refused answer used the last ones up.

    ``two_factor_expired`` for a dead login; ``method_not_available`` when
    ``method`` is not a ceremony the user has.
    """
    challenge = live_challenge(challenge_id)
    named = get_method(method) if isinstance(method, str) else None
    if named is None or named.kind != "ceremony" or not named.is_active(challenge.user):
        raise FlowError("method_not_available", parameter="method")
    return named.begin_ceremony(challenge.user, purpose="login", site=site, login=challenge.pk)


def ceremony_offers(pending: PendingLogin, site: Site) -> dict[str, dict[str, Any]]:
    """What the client needs to pass the second step with a ceremony (a security key):
    for each of the user's ceremony methods, its options, bound to this login."""
    offers = {}
    for method in all_methods():
        if method.kind == "ceremony" and method.name in pending.methods:
            offers[method.name] = method.begin_ceremony(
                pending.user, purpose="login", site=site, login=pending.pk
            )
    return offers


def _live(challenge_id: str) -> dict[str, object]:
    """Lookups (relative to a challenge) that only a live challenge matches."""
    return {
        "digest__in": crypto.digests(challenge_id, purpose=CHALLENGE_PURPOSE),
        **_live_at(clock.now()),
    }


def _live_at(now: datetime) -> dict[str, object]:
    """Lookups (relative to a challenge) that only a challenge live at ``now`` matches."""
    return {"consumed_at__isnull": True, "attempts_left__gt": 0, "expires_at__gt": now}


def _check_id(challenge_id: object) -> str:
    if not isinstance(challenge_id, str) or not 0 < len(challenge_id) <= _MAX_ID_LENGTH:
        raise FlowError("two_factor_expired", parameter="two_factor_id")
    return challenge_id


def _still_valid_for(user: AbstractBaseUser, password_digest: str) -> bool:
    return user.is_active and constant_time_compare(password_digest, password_fingerprint(user))


def live_challenge(challenge_id: object) -> Challenge:
    """The live challenge for ``challenge_id`` (with its user), or ``two_factor_expired``.

    A challenge is dead once expired, used, out of attempts, or when its user
    is inactive or has changed password since.
    """
    live = _live(_check_id(challenge_id))
    challenge = Challenge.objects.select_related("user").filter(**live).first()
    if challenge is None or not _still_valid_for(challenge.user, challenge.password_digest):
        raise FlowError("two_factor_expired", parameter="two_factor_id")
    return challenge


def _preloaded_method() -> Method | None:
    """The first code method whose active device the pending login's query reads too."""
    return next((m for m in code_methods() if m.preload_relation and not m.backup), None)


def _lock_query(
    preloaded_name: str | None, digest: str | list[str], now: datetime
) -> QuerySet[UserThrottle]:
    """The back-off row (locked) of the user of the live challenge ``digest``, with
    the user, the challenge's id and password fingerprint, and the user's active
    device of the method ``preloaded_name``."""
    digests = {"digest__in": digest} if isinstance(digest, list) else {"digest": digest}
    live = {
        f"user__twostep_challenges__{key}": value
        for key, value in {**digests, **_live_at(now)}.items()
    }
    rows = UserThrottle.objects.select_for_update(of=("self",))
    preloaded = get_method(preloaded_name) if preloaded_name else None
    if preloaded is not None:
        relation = f"user__{preloaded.preload_relation}"
        rows = rows.annotate(
            preloaded_device=FilteredRelation(
                relation, condition=Q(**{f"{relation}__confirmed": True})
            )
        ).select_related("user", "preloaded_device")
    else:
        rows = rows.select_related("user")
    # Only the back-off row is locked. On PostgreSQL, a request that waited for
    # that lock sees the challenge and the device as they were before it waited:
    # the challenge is claimed again by a conditional UPDATE in check(), and a
    # code is used up by one (TOTPDevice.consume_step, say), so a stale row can
    # make a code fail, never pass twice.
    # At most one row can match (one challenge per digest, one back-off row and
    # one active preloaded device per user): a slice, not first(), whose ORDER BY
    # costs more to build than the rest of the query takes to run.
    return rows.filter(**live).annotate(
        challenge_pk=F("user__twostep_challenges__pk"),
        challenge_password=F("user__twostep_challenges__password_digest"),
    )[:1]


# Built once per connection and preloaded method (prepared.py): the query of every
# second step, page 2's and the API's.
_lock_rows = Prepared(UserThrottle, _lock_query, for_write=True)


def _claim_query(_shape: None, pk: int, now: datetime) -> tuple[QuerySet[Challenge], dict]:
    """Spend one attempt of challenge ``pk`` and mark it used, if it is live at ``now``."""
    live = Challenge.objects.filter(pk=pk, **_live_at(now))
    return live, {"consumed_at": now, "attempts_left": F("attempts_left") - 1}


_claim_attempt = PreparedUpdate(Challenge, _claim_query)


def _lock_owner(challenge_id: str) -> tuple[UserThrottle, int, dict[str, list[Device]] | None]:
    """Find a live challenge and lock its user's back-off row, in one query.

    Returns the locked row (``.user`` loaded), the challenge's id, and the
    user's active device of the first method with a ``preload_relation`` (by
    default the authenticator app: a list of at most one), read in the same
    query. Falls back to more queries for a user who has no back-off row yet
    (the devices are then None: not read).
    """
    preloaded = _preloaded_method()
    name = preloaded.name if preloaded is not None else None
    digests = crypto.digests(challenge_id, purpose=CHALLENGE_PURPOSE)
    now = clock.now()
    if len(digests) == 1:
        row = _lock_rows.first(name, digests[0], now)
    else:  # while keys rotate
        row = next(iter(_lock_query(name, digests, now)), None)
    if row is not None:
        if not _still_valid_for(row.user, row.challenge_password):
            raise FlowError("two_factor_expired", parameter="two_factor_id")
        if preloaded is None:
            return row, row.challenge_pk, None
        # Django leaves the attribute unset when the outer join found no device.
        device = getattr(row, "preloaded_device", None)
        return row, row.challenge_pk, {preloaded.name: [device] if device is not None else []}
    challenge = live_challenge(challenge_id)  # dead: two_factor_expired
    return lock_user(challenge.user), challenge.pk, None


def _has_method(
    method: Method, user: AbstractBaseUser, preloaded: dict[str, list[Device]] | None
) -> bool:
    """Whether ``user`` has ``method`` active; the device the lock's query read answers
    for the preloaded method without another query."""
    if preloaded is not None and method.name in preloaded:
        return bool(preloaded[method.name])
    return method.is_active(user)


def verify_login_code(
    challenge_id: object,
    code: object = None,
    *,
    method: str | None = None,
    chosen: str | None = None,
    response: Any = None,
    site: Site | None = None,
    origin: Origin | None = None,
) -> LoginResult:
    """Complete a pending login with a code (TOTP, e-mail or recovery; ``method`` narrows it).

    A dead challenge answers ``two_factor_expired`` before the back-off is
    considered. A wrong code spends one of the challenge's attempts and counts
    for the user's back-off; the last attempt burns the challenge, and the
    error then has ``meta["attempts_left"] == 0``. A right code uses up the
    challenge, so it completes one login only. ``chosen``: the method the person
    said they were using (page 2's "Use a recovery code"), which narrows nothing
    (see :func:`~.codes.match_code`).
    """
    challenge_id = _check_id(challenge_id)
    named = None
    if method is not None:
        named = get_method(method)
        if named is None:
            raise FlowError("validation_error", parameter="method")
    # A ceremony (a security key) answers with ``response`` instead of a code.
    ceremony = named is not None and named.kind == "ceremony"
    if ceremony and (response is None or site is None):
        raise FlowError("validation_error", parameter="credential")
    # Filled by lock(), which runs first inside checked()'s transaction.
    state: dict[str, Any] = {}

    def lock() -> UserThrottle:
        state["throttle"], state["pk"], state["devices"] = _lock_owner(challenge_id)
        if named is not None and not _has_method(named, state["throttle"].user, state["devices"]):
            # Refused before any code is compared (the id's own answer came first).
            raise FlowError("method_not_available", parameter="method")
        if not ceremony:
            state["code"] = require_code(code)
        return state["throttle"]

    def check() -> Verification | Refusal | None:
        # Claim the challenge for this attempt before any code is compared: one
        # conditional UPDATE spends an attempt and marks it used, and matches only
        # a live challenge. lock() found it live, but it read the challenge before
        # the user's lock was granted: requests queued behind that lock would
        # otherwise compare codes on a challenge burned meanwhile (past its
        # budget, and answering a right guess differently from a wrong one).
        claimed = _claim_attempt.run(None, state["pk"], clock.now())
        if not claimed:
            raise FlowError("two_factor_expired", parameter="two_factor_id")
        user = state["throttle"].user
        if ceremony:
            device = named.verify_ceremony(
                user, response, purpose="login", site=site, login=state["pk"], origin=origin
            )
            verification = Verification(named.name, device) if device is not None else None
        else:
            methods = {method} if method else None
            verification = match_code(
                user, state["code"], methods, devices=state["devices"], chosen=method or chosen
            )
        if not isinstance(verification, Verification):
            # Wrong: the attempt stays spent, the challenge usable.
            Challenge.objects.filter(pk=state["pk"]).update(consumed_at=None)
        return verification

    def verified(verification: Verification) -> None:
        record_verification(state["throttle"].user, verification, origin)

    try:
        verification = checked(
            None,
            check,
            lock=lock,
            on_success=verified,
            origin=origin,
            method=named.name if ceremony else "",
            refusal="invalid_credential" if ceremony else "invalid_code",
        )
    except FlowError as error:
        if error.code in ("invalid_code", "invalid_credential") and "pk" in state:
            left = Challenge.objects.filter(pk=state["pk"]).values_list("attempts_left", flat=True)
            error.meta["attempts_left"] = left.first() or 0
            if not error.meta["attempts_left"]:
                error.detail = _("Too many wrong codes. Log in again.")
                error.reason = None  # the login is over, whatever was wrong with the code
        raise
    return LoginResult(user=state["throttle"].user, verification=verification)
