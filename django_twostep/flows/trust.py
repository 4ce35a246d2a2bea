"""Trusted browsers: "trust this browser" lets a login skip the code step.

A trusted browser holds a random token (in a signed cookie the views set);
only the token's keyed digest is stored, in a
:class:`~django_twostep.models.TrustedBrowser` row bound to the user, with a
fingerprint of the user's password hash at the time. A token counts only

- for the user it was issued to,
- until ``expires_at`` (``TWOSTEP_REMEMBER_DAYS`` after it was issued),
- while the password is unchanged (the fingerprint still matches), and
- while the row exists: "forget all trusted browsers" and disabling the last
  two-factor method delete the rows (see :func:`forget_browsers` and
  :func:`django_twostep.flows.changes.method_removed`).

Nothing here sees a request or a cookie: the views turn the token into a
cookie and back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import constant_time_compare

from .. import clock, crypto
from ..conf import twostep_settings
from ..models import TrustedBrowser
from . import events
from .codes import Verification
from .events import Origin
from .methods import active_devices
from .passwords import password_fingerprint

TRUSTED_BROWSER_PURPOSE = "trusted-browser"
# The method recorded on the ``verified`` event of a login that skipped the code step.
TRUSTED_BROWSER_METHOD = "trusted_browser"
_MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class BrowserTrust:
    """A freshly trusted browser: the token for its cookie and how long it lasts."""

    token: str
    expires_at: datetime
    max_age: int


def remember_days() -> int:
    """Days a trusted browser lasts (``TWOSTEP_REMEMBER_DAYS``); 0: the option is off."""
    return int(twostep_settings.REMEMBER_DAYS or 0)


def trust_browser(user: AbstractBaseUser, *, origin: Origin | None = None) -> BrowserTrust | None:
    """Trust the browser of a login that just passed a second factor.

    Returns the token to hand to the browser, or None when
    ``TWOSTEP_REMEMBER_DAYS`` is 0. Records ``trusted_browser_added``.
    """
    days = remember_days()
    if days <= 0:
        return None
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    max_age = days * 24 * 3600
    expires_at = now + timedelta(seconds=max_age)
    TrustedBrowser.objects.create(
        digest=crypto.digest(token, purpose=TRUSTED_BROWSER_PURPOSE),
        user=user,
        password_digest=password_fingerprint(user),
        user_agent=(origin.user_agent if origin else "")[:300],
        created_at=now,
        expires_at=expires_at,
    )
    events.record("trusted_browser_added", user, origin=origin)
    return BrowserTrust(token=token, expires_at=expires_at, max_age=max_age)


def use_trusted_browser(
    user: AbstractBaseUser, token: object, *, origin: Origin | None = None
) -> Verification | None:
    """The verification a trusted browser gives ``user``, or None.

    ``user`` has just proven their password. The token must be one of theirs,
    unexpired, issued under their current password, and they must still have
    an active method (its device is what the session is then verified with).
    Records ``verified`` with method ``trusted_browser``.
    """
    if remember_days() <= 0:
        return None
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_LENGTH:
        return None
    now = clock.now()
    browser = TrustedBrowser.objects.filter(
        user_id=user.pk,
        digest__in=crypto.digests(token, purpose=TRUSTED_BROWSER_PURPOSE),
        expires_at__gt=now,
    ).first()
    if browser is None:
        return None
    if not constant_time_compare(browser.password_digest, password_fingerprint(user)):
        # Issued before a password change: void for good.
        browser.delete()
        return None
    devices = active_devices(user)
    if not devices:
        return None
    TrustedBrowser.objects.filter(pk=browser.pk).update(last_used_at=now)
    events.record("verified", user, method=TRUSTED_BROWSER_METHOD, origin=origin)
    return Verification(TRUSTED_BROWSER_METHOD, devices[0])


def trust_max_age() -> int:
    """Seconds a trusted browser's cookie is honoured (0: trusting browsers is off)."""
    return remember_days() * 24 * 3600


def trusted_browsers(user: AbstractBaseUser) -> list[TrustedBrowser]:
    """The user's browsers that would still skip the code step, newest first."""
    current = password_fingerprint(user)
    rows = TrustedBrowser.objects.filter(user_id=user.pk, expires_at__gt=clock.now()).order_by(
        "-created_at", "-pk"
    )
    return [row for row in rows if constant_time_compare(row.password_digest, current)]


def forget_browsers(user: AbstractBaseUser) -> int:
    """Forget every browser the user trusted; returns how many were forgotten."""
    deleted, _by_model = TrustedBrowser.objects.filter(user_id=user.pk).delete()
    return deleted
