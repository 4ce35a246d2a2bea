"""Per-browser state of the pages: the only module that touches ``request.session``.

What is kept, under keys starting with ``_twostep_``:

- the pending login between page 1 and page 2 (the challenge id, sealed with
  :func:`django_twostep.crypto.encrypt` so a dump of the session table does not
  reveal it; the authentication backend; the validated ``next``);
- when this session last passed a second factor (step-up);
- recovery codes generated a moment ago, sealed, until they have been shown
  and saved;
- a one-shot notice for page 1 (why the user is back there);
- django-otp's reference to the device that verified the session (read and,
  when stale, dropped for :mod:`django_twostep.middleware`).

The trusted-browser cookie is read and written here too, so every piece of
browser state lives in one place.

The pending login's challenge id is handed to :mod:`django_twostep.debug`
whenever it is stored or read, so that error reports hide it (with a code, it
completes the login through the API); :mod:`~django_twostep.debug` is shared
with the API and does not import this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY

from . import clock, crypto, debug
from .http import TRUSTED_COOKIE_NAME

PENDING_KEY = "_twostep_pending"
VERIFIED_AT_KEY = "_twostep_verified_at"
FRESH_CODES_KEY = "_twostep_fresh_codes"
LOGIN_NOTICE_KEY = "_twostep_notice"

_PENDING_PURPOSE = "session-pending-login"
_CODES_PURPOSE = "session-recovery-codes"


_TRUSTED_COOKIE_SALT = "django_twostep.trusted-browser"


# -- the pending login ------------------------------------------------------------


@dataclass(frozen=True)
class PendingLoginState:
    """What page 1 left for page 2."""

    challenge_id: str
    backend: str
    next_url: str
    methods: list[str]
    # Unix times: when the challenge expires, and until when a code check is
    # refused (as last told to this browser). Page 2 shows itself from these
    # without a query; the database stays the judge when a code is posted.
    expires_at: float | None = None
    wait_until: float = 0

    def expired(self) -> bool:
        return self.expires_at is not None and clock.time() >= self.expires_at

    def wait(self) -> int:
        """Whole seconds this browser was told to wait that are not over yet."""
        return max(0, math.ceil(self.wait_until - clock.time()))


def start_pending_login(
    request: HttpRequest,
    *,
    challenge_id: str,
    backend: str,
    next_url: str,
    methods: list[str],
    expires_in: int,
) -> None:
    """Remember a pending login in a fresh session (the key is cycled against fixation).

    A browser without a session yet gets a new key anyway when this is saved.
    """
    debug.remember_secret_values(request, [challenge_id])
    if request.session.session_key is not None:
        request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "id": crypto.encrypt(challenge_id.encode(), purpose=_PENDING_PURPOSE),
        "backend": backend,
        "next": next_url,
        "methods": list(methods),
        "expires": clock.time() + expires_in,
    }


def pending_login(request: HttpRequest) -> PendingLoginState | None:
    """The pending login of this browser, or None (never one, or unreadable)."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    try:
        challenge_id = crypto.decrypt(str(data["id"]), purpose=_PENDING_PURPOSE).decode()
    except (KeyError, crypto.DecryptionError, UnicodeDecodeError):
        return None
    debug.remember_secret_values(request, [challenge_id])
    return PendingLoginState(
        challenge_id=challenge_id,
        backend=str(data.get("backend") or ""),
        next_url=str(data.get("next") or ""),
        methods=[str(m) for m in data.get("methods") or []],
        expires_at=_number(data.get("expires")),
        wait_until=_number(data.get("wait_until")) or 0,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def note_pending_login_wait(request: HttpRequest, seconds: int) -> None:
    """Remember that this browser was told to wait ``seconds`` (page 2 says so again)."""
    data = request.session.get(PENDING_KEY)
    if isinstance(data, dict):
        request.session[PENDING_KEY] = {**data, "wait_until": clock.time() + seconds}


def clear_pending_login(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


# -- step-up --------------------------------------------------------------------------


def mark_verified(request: HttpRequest) -> None:
    """This session just passed a second factor (starts the step-up grace period)."""
    request.session[VERIFIED_AT_KEY] = clock.time()


def verified_at(request: HttpRequest) -> datetime | None:
    """When this session last passed a second factor, or None."""
    value = request.session.get(VERIFIED_AT_KEY)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


# -- django-otp's verified device ---------------------------------------------------------


def session_login(request: HttpRequest) -> tuple[Any, str] | None:
    """The user id and authentication backend Django's ``login()`` left in the session,
    or None (as ``django.contrib.auth.get_user`` reads them)."""
    try:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
        return user_id, request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return None


def session_hash_verifies(request: HttpRequest, user: Any) -> bool:
    """Django's check that the session still belongs to ``user`` (``auth.get_user``):
    the session's hash of the password under the current secret; under a fallback
    secret, the session is re-keyed and kept; else the session is flushed."""
    session_hash = request.session.get(HASH_SESSION_KEY)
    current = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, current):
        return True
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = current
        return True
    request.session.flush()
    return False


def has_no_session(request: HttpRequest) -> bool:
    """Whether the request came without a session (no session cookie), told without
    reading the session (so the answer does not come to vary on cookies)."""
    session = getattr(request, "session", None)
    return session is not None and session.session_key is None


def verified_device_id(request: HttpRequest) -> str | None:
    """The persistent id of the device ``django_otp.login`` marked this session verified
    with, or None (the middleware checks it is still the user's and confirmed)."""
    value = request.session.get(DEVICE_ID_SESSION_KEY)
    return value if isinstance(value, str) and value else None


def forget_verified_device(request: HttpRequest) -> None:
    """Drop a stale device reference (reading alone does not mark the session modified)."""
    if DEVICE_ID_SESSION_KEY in request.session:
        del request.session[DEVICE_ID_SESSION_KEY]


# -- recovery codes just generated ----------------------------------------------------


def keep_fresh_recovery_codes(request: HttpRequest, codes: list[str], *, expires_in: int) -> None:
    """Hold a new set of recovery codes until it has been shown (sealed), for
    ``expires_in`` seconds at most (the flows say how long:
    :data:`django_twostep.flows.FRESH_CODES_SHOWN_FOR`)."""
    request.session[FRESH_CODES_KEY] = {
        "codes": crypto.encrypt("\n".join(codes).encode(), purpose=_CODES_PURPOSE),
        "until": clock.time() + expires_in,
        "shown": False,
    }


def fresh_recovery_codes(request: HttpRequest, *, for_display: bool = False) -> list[str] | None:
    """The recovery codes generated a moment ago, or None.

    With ``for_display``, returns them only the first time (the page shows a
    new set once); the download stays possible until :func:`forget_fresh_recovery_codes`
    or until the time :func:`keep_fresh_recovery_codes` was given is over.
    """
    data = request.session.get(FRESH_CODES_KEY)
    if not isinstance(data, dict):
        return None
    until = data.get("until")
    if not isinstance(until, int | float) or clock.time() > until:
        forget_fresh_recovery_codes(request)
        return None
    if for_display:
        if data.get("shown"):
            return None
        request.session[FRESH_CODES_KEY] = {**data, "shown": True}
    try:
        text = crypto.decrypt(str(data["codes"]), purpose=_CODES_PURPOSE).decode()
    except (KeyError, crypto.DecryptionError, UnicodeDecodeError):
        forget_fresh_recovery_codes(request)
        return None
    return text.split("\n")


def forget_fresh_recovery_codes(request: HttpRequest) -> None:
    request.session.pop(FRESH_CODES_KEY, None)


# -- a notice for page 1 -------------------------------------------------------------


def set_login_notice(request: HttpRequest, code: str) -> None:
    """Tell page 1 why the user is back (an error code such as ``two_factor_expired``)."""
    request.session[LOGIN_NOTICE_KEY] = code


def pop_login_notice(request: HttpRequest) -> str | None:
    if LOGIN_NOTICE_KEY not in request.session:  # reading does not mark the session modified
        return None
    value = request.session.pop(LOGIN_NOTICE_KEY, None)
    return value if isinstance(value, str) else None


# -- the trusted-browser cookie --------------------------------------------------------


def _trusted_cookie_path() -> str:
    # Only the login pages need the cookie: it is never sent anywhere else.
    return reverse("twostep:login")


def trusted_browser_token(request: HttpRequest, *, max_age: int | None = None) -> str | None:
    """The token in this browser's trusted-browser cookie, if it is ours, unaltered
    and (with ``max_age``) signed less than ``max_age`` seconds ago."""
    value = request.get_signed_cookie(
        TRUSTED_COOKIE_NAME, default=None, salt=_TRUSTED_COOKIE_SALT, max_age=max_age
    )
    return value if isinstance(value, str) and value else None


def set_trusted_browser_cookie(
    request: HttpRequest, response: HttpResponseBase, *, token: str, max_age: int
) -> None:
    """Hand the browser its trust token: signed, HttpOnly, Secure over HTTPS."""
    response.set_signed_cookie(
        TRUSTED_COOKIE_NAME,
        token,
        salt=_TRUSTED_COOKIE_SALT,
        max_age=max_age,
        path=_trusted_cookie_path(),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
        domain=getattr(settings, "SESSION_COOKIE_DOMAIN", None),
    )


def delete_trusted_browser_cookie(response: HttpResponseBase) -> None:
    response.delete_cookie(
        TRUSTED_COOKIE_NAME,
        path=_trusted_cookie_path(),
        domain=getattr(settings, "SESSION_COOKIE_DOMAIN", None),
        samesite="Lax",
    )
