"""API bearer tokens: issue, authenticate, refresh with rotation, revoke, step-up.

A login issues an access/refresh pair: two opaque random strings of 256 bits,
stored only as keyed digests on one :class:`~django_twostep.models.ApiToken`
row. Pairs descending from one login share a ``family``.

Rules (each is tested in ``tests/api/``):

- An access token works until it expires, its pair is refreshed (rotated) or
  revoked, its user becomes inactive, or its user's password changes.
- Refreshing spends the refresh token (one conditional ``UPDATE``) and issues
  a new pair in the same family that keeps the parent's ``verified_at``, so
  refreshing never restarts the step-up grace.
- Presenting a spent refresh token again is treated as theft: the whole
  family is revoked, the newest pair included. Two requests racing with one
  refresh token count as such a reuse: at most one of them gets a new pair,
  and the family ends revoked either way.
- ``verified_at`` is set by a login that passed a second factor, by
  activating the user's first method with the token, and by a good
  ``X-MFA-Code``.
- A login's pair is issued by :func:`complete_api_login`, which also sends
  Django's ``user_logged_in`` (so ``last_login`` moves) in the same
  transaction; a refresh is not a login and sends nothing.
- Recovery codes made by an activation through a token are kept on its row,
  encrypted, until the next ``GET users/{username}/recovery-codes`` with that
  token shows them, once (:func:`keep_unseen_recovery_codes`).
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.db import transaction

from .. import clock, crypto
from ..conf import twostep_settings
from ..errors import FlowError, Throttled
from ..models import ApiToken
from ..prepared import Prepared
from . import events
from .changes import Activation
from .codes import Verification, verify_second_factor
from .events import Origin
from .passwords import password_fingerprints
from .policy import StepUp, step_up_status

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger("django_twostep.tokens")

ACCESS_PURPOSE = "api-access-token"
REFRESH_PURPOSE = "api-refresh-token"
UNSEEN_CODES_PURPOSE = "api-unseen-recovery-codes"
TOKEN_BYTES = 32  # 256 bits
# token_urlsafe(32) is 43 characters; anything much longer is refused unread.
MAX_TOKEN_LENGTH = 100
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class IssuedTokens:
    """A freshly issued pair. The raw strings exist only here, never in the database."""

    token: ApiToken
    access_token: str
    refresh_token: str
    expires_in: int

    def payload(self) -> dict[str, Any]:
        """The RFC 6749 section 5.1 token response body."""
        return {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def _password_digests(user: AbstractBaseUser) -> list[str]:
    return password_fingerprints(user)


def _well_formed(raw: object) -> bool:
    return (
        isinstance(raw, str)
        and 0 < len(raw) <= MAX_TOKEN_LENGTH
        and all(c in _TOKEN_ALPHABET for c in raw)
    )


def issue_tokens(
    user: AbstractBaseUser,
    *,
    verified_at: datetime | None = None,
    family: uuid.UUID | None = None,
) -> IssuedTokens:
    """Issue a new access/refresh pair for ``user``.

    ``verified_at`` is when a second factor was proven for this login (None:
    never); ``family`` continues an existing lineage (refresh), else a new one
    starts.
    """
    access = secrets.token_urlsafe(TOKEN_BYTES)
    refresh = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    access_ttl = twostep_settings.ACCESS_TOKEN_TTL
    token = ApiToken.objects.create(
        user=user,
        family=family or uuid.uuid4(),
        access_digest=crypto.digest(access, purpose=ACCESS_PURPOSE),
        refresh_digest=crypto.digest(refresh, purpose=REFRESH_PURPOSE),
        password_digest=_password_digests(user)[0],
        created_at=now,
        access_expires_at=now + timedelta(seconds=access_ttl),
        refresh_expires_at=now + timedelta(seconds=twostep_settings.REFRESH_TOKEN_TTL),
        verified_at=verified_at,
    )
    return IssuedTokens(
        token=token, access_token=access, refresh_token=refresh, expires_in=access_ttl
    )


def login_tokens(user: AbstractBaseUser, *, fresh: bool) -> IssuedTokens:
    """The pair for a completed API login: verified now when it proved a second
    factor just now (``fresh``), unverified otherwise (a user with no method)."""
    return issue_tokens(user, verified_at=clock.now() if fresh else None)


def complete_api_login(
    user: AbstractBaseUser, *, fresh: bool, request: HttpRequest | None
) -> IssuedTokens:
    """Log ``user`` in through the API: their new pair (:func:`login_tokens`), and
    ``django.contrib.auth.signals.user_logged_in`` as Django's ``login()`` sends it.

    Every API path that ends a login calls this once: ``auth/login`` for a user
    without a method or with a code, ``auth/two-factor`` and
    ``auth/passkey/complete``. A refresh is not a login and does not.

    The signal has ``sender=user.__class__``, ``user`` and ``request``, the
    Django ``HttpRequest`` of the API call (not DRF's wrapper), passed through
    to the receivers and not read here. That request is not logged in
    (``request.user`` stays anonymous: the tokens are for the next requests)
    and may have no session. Django's own ``update_last_login`` receiver then
    sets ``last_login``. ``TWOSTEP_API_SEND_USER_LOGGED_IN = False`` sends
    nothing.

    The signal is sent inside the transaction that creates the tokens, as
    ``login()`` sends it before the response exists: what the receivers write
    (``last_login``, a site's own rows) commits with the login, and a receiver
    that raises rolls the tokens back, so the client gets an error and no
    login, never a 500 with a pair in the database. (Receivers that must act
    only once the login is committed, such as sending a mail, wrap their work
    in ``transaction.on_commit``.) The second factor it followed stays spent,
    as on the pages: the client starts the login again.
    """
    if not twostep_settings.API_SEND_USER_LOGGED_IN:
        return login_tokens(user, fresh=fresh)
    with transaction.atomic():
        issued = login_tokens(user, fresh=fresh)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return issued


def _user_still_valid(token: ApiToken) -> bool:
    user = token.user
    return bool(user.is_active) and token.password_digest in _password_digests(user)


_token_by_access_digest = Prepared(
    ApiToken,
    lambda _shape, digest: ApiToken.objects.select_related("user").filter(access_digest=digest)[:1],
)


def authenticate_access_token(raw: object) -> ApiToken | None:
    """The live token row for access token ``raw`` (its ``user`` loaded), or None.

    Exactly one query (none for a malformed token).
    """
    if not _well_formed(raw):
        return None
    # The hot path of every API request: the digest is unique, so the row is found
    # by it alone, with a statement compiled once (prepared.py), and judged here.
    # While keys rotate (TWOSTEP_ENCRYPTION_KEYS lists several), by any of them.
    found = crypto.digests(raw, purpose=ACCESS_PURPOSE)
    if len(found) == 1:
        token = _token_by_access_digest.first(None, found[0])
    else:
        candidates = ApiToken.objects.select_related("user").filter(access_digest__in=found)
        token = next(iter(candidates[:1]), None)
    if (
        token is None
        or token.revoked_at is not None
        or token.rotated_at is not None
        or token.access_expires_at <= clock.now()
        or not _user_still_valid(token)
    ):
        return None
    return token


def refresh_tokens(raw: object, *, origin: Origin | None = None) -> IssuedTokens:
    """Spend refresh token ``raw`` and issue the next pair of its family.

    Raises ``invalid_grant`` for a token that is unknown, expired, revoked or
    already spent; a spent one also revokes its whole family.
    """
    if not _well_formed(raw):
        raise FlowError("invalid_grant", parameter="refresh_token")
    token = (
        ApiToken.objects.select_related("user")
        .filter(refresh_digest__in=crypto.digests(raw, purpose=REFRESH_PURPOSE))
        .first()
    )
    if token is None or token.revoked_at is not None:
        raise FlowError("invalid_grant", parameter="refresh_token")
    if token.rotated_at is not None:
        _revoke_reused_family(token, origin)
        raise FlowError("invalid_grant", parameter="refresh_token")
    if token.refresh_expires_at <= clock.now() or not _user_still_valid(token):
        raise FlowError("invalid_grant", parameter="refresh_token")
    with transaction.atomic():
        # The conditional UPDATE is the whole race protection: of the requests
        # holding this refresh token, exactly one changes the row. The new pair
        # is created in the same transaction, so a loser, who can only see the
        # row spent after that commit, revokes the new pair with the family.
        won = ApiToken.objects.filter(
            pk=token.pk, rotated_at__isnull=True, revoked_at__isnull=True
        ).update(rotated_at=clock.now())
        issued = (
            issue_tokens(token.user, verified_at=token.verified_at, family=token.family)
            if won
            else None
        )
    if issued is None:
        _revoke_reused_family(token, origin)
        raise FlowError("invalid_grant", parameter="refresh_token")
    return issued


def _revoke_reused_family(token: ApiToken, origin: Origin | None) -> None:
    """A spent refresh token came back (stolen, or a broken client): end that login.

    The security event is recorded when this ended something; the same spent
    token presented again (the family already revoked) is only logged, so
    whoever holds it cannot fill the event table or fire the signal at will.
    """
    revoked = revoke_family(token.family)
    logger.warning(
        "twostep refresh token reused: token family revoked user=%s tokens=%s",
        token.user_id,
        revoked,
    )
    if revoked:
        events.record("refresh_token_reused", token.user, origin=origin)


def revoke_family(family: uuid.UUID) -> int:
    """Revoke every pair of a family (one login's lineage); returns how many rows changed."""
    return ApiToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def revoke_token(token: ApiToken) -> None:
    """Log out: the presented pair and its whole family stop working."""
    revoke_family(token.family)


def revoke_user_tokens(user: AbstractBaseUser, *, keep: ApiToken | None = None) -> int:
    """Revoke all of ``user``'s tokens, except the pair ``keep``; returns how many."""
    tokens = ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.update(revoked_at=clock.now())


def password_changed(user: AbstractBaseUser, *, keep: ApiToken | None = None) -> None:
    """After ``user``'s password changed (and was saved) through the token ``keep``.

    Every other token is revoked; ``keep`` goes on working. Tokens notice a
    password changed elsewhere by themselves (``password_digest``).
    """
    with transaction.atomic():
        revoke_user_tokens(user, keep=keep)
        if keep is not None:
            keep.password_digest = _password_digests(user)[0]
            ApiToken.objects.filter(pk=keep.pk).update(password_digest=keep.password_digest)


def mark_verified(token: ApiToken, at: datetime | None = None) -> None:
    """Record that a second factor was just proven with ``token`` (starts the grace)."""
    token.verified_at = at or clock.now()
    ApiToken.objects.filter(pk=token.pk).update(verified_at=token.verified_at)


def keep_unseen_recovery_codes(token: ApiToken, codes: list[str]) -> None:
    """Keep ``codes`` (just made by an activation through ``token``) for it to see once."""
    token.unseen_recovery_codes = crypto.encrypt(
        json.dumps(codes).encode(), purpose=UNSEEN_CODES_PURPOSE
    )
    ApiToken.objects.filter(pk=token.pk).update(unseen_recovery_codes=token.unseen_recovery_codes)


def token_activated(token: ApiToken, activation: Activation) -> None:
    """After a method was activated through ``token``: only the user's first method
    verifies it (the flow decided: ``activation.verifies``), and new recovery
    codes wait for the token's next ``GET users/{username}/recovery-codes``."""
    if activation.verifies:
        mark_verified(token)
    if activation.recovery_codes:
        keep_unseen_recovery_codes(token, activation.recovery_codes)


def take_unseen_recovery_codes(token: ApiToken) -> list[str] | None:
    """The recovery codes kept for ``token`` that nobody has seen, once; else None.

    One conditional ``UPDATE`` takes them, so two requests racing cannot both
    get them. A set replaced since (regenerated elsewhere) was voided then.
    """
    kept = token.unseen_recovery_codes
    if not kept:
        return None
    taken = ApiToken.objects.filter(pk=token.pk, unseen_recovery_codes=kept).update(
        unseen_recovery_codes=""
    )
    token.unseen_recovery_codes = ""
    if not taken:
        return None
    try:
        return json.loads(crypto.decrypt(kept, purpose=UNSEEN_CODES_PURPOSE))
    except crypto.DecryptionError:  # the key that wrapped them was retired
        return None


def require_step_up(
    token: ApiToken,
    code: str | None,
    *,
    change: bool = False,
    origin: Origin | None = None,
) -> Verification | None:
    """Let a sensitive action through, or raise why not.

    ``code`` is the ``X-MFA-Code`` sent (None: none). A user without a method
    passes (the code is ignored) unless ``TWOSTEP_REQUIRED`` covers them:
    ``not_enrolled`` (403); with ``change`` (the action changes the user's
    second factors: see :func:`~.policy.authorize_method_change`) they always
    pass, since their first method is how they enrol. Otherwise a code that
    was sent is always checked, under the user's back-off; a right one
    restarts the grace for ``token``. Without a code, the token must have been
    verified within
    ``TWOSTEP_STEP_UP_GRACE``: else ``mfa_code_missing``. Raises
    ``mfa_code_invalid`` (403) for a wrong code and ``too_many_attempts``.
    """
    user = token.user
    status = step_up_status(user, token.verified_at, change=change)
    if status is StepUp.NOTHING_TO_STEP_UP_TO:
        return None
    if status is StepUp.NOT_ENROLLED:
        raise FlowError("not_enrolled", status=403)
    if code is None:
        if status is StepUp.FRESH:
            return None
        raise FlowError("mfa_code_missing", parameter="X-MFA-Code")
    try:
        verification = verify_second_factor(user, code, origin=origin)
    except Throttled as error:
        error.parameter = "X-MFA-Code"
        raise
    except FlowError as error:
        if error.code != "invalid_code":
            raise
        # A code typed a second time keeps saying so (its detail); others the catalogue's.
        raise FlowError(
            "mfa_code_invalid",
            parameter="X-MFA-Code",
            reason=error.reason,
            detail=error.detail if error.reason else None,
        ) from None
    mark_verified(token)
    return verification
