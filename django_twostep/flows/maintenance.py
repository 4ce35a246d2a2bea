"""Admin rescue and housekeeping: resetting a locked-out user, purging expired rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q

from .. import clock
from ..methods.registry import all_methods, routed_methods
from ..models import ApiToken, Challenge, SecurityEvent, TrustedBrowser, UserThrottle
from . import events
from .codes import lock_user
from .events import Origin

# Security events older than this are pruned by purge_expired().
EVENT_RETENTION = timedelta(days=180)


def reset_two_factor(user: AbstractBaseUser, *, origin: Origin | None = None) -> None:
    """Rescue a locked-out user: every method, recovery code, pending login,
    trusted browser and API token goes, and the back-off is cleared.

    The user then logs in with the password alone and can enrol again.
    """
    now = clock.now()
    with transaction.atomic():
        # The user's lock first, as every code check takes it: a check running now
        # finishes before anything is removed, instead of deadlocking with us.
        lock_user(user)
        # The built-in methods too when the site dropped one: a reset leaves no
        # device behind that would count again if the method came back.
        for method in routed_methods():
            method.remove(user)
        for model in (Challenge, TrustedBrowser):
            model.objects.filter(user_id=user.pk).delete()
        ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=now)
        UserThrottle.objects.filter(user_id=user.pk).update(failures=0, locked_until=None)
    events.record("admin_reset", user, origin=origin)


@dataclass(frozen=True)
class Purged:
    challenges: int
    # What each method purged of its own, e.g. ("e-mailed code(s)", 2).
    by_methods: list[tuple[str, int]]
    tokens: int
    trusted_browsers: int
    events: int


def purge_expired() -> Purged:
    """Delete what can no longer be used. Idempotent; safe to run from cron."""
    now = clock.now()
    challenges = Challenge.objects.filter(
        Q(expires_at__lte=now) | Q(consumed_at__isnull=False) | Q(attempts_left=0)
    ).delete()[0]
    by_methods = [found for method in all_methods() for found in method.purge_expired(now)]
    tokens = ApiToken.objects.filter(
        Q(refresh_expires_at__lte=now) | Q(revoked_at__lte=now - timedelta(days=1))
    ).delete()[0]
    browsers = TrustedBrowser.objects.filter(expires_at__lte=now).delete()[0]
    old_events = SecurityEvent.objects.filter(created_at__lte=now - EVENT_RETENTION).delete()[0]
    return Purged(challenges, by_methods, tokens, browsers, old_events)
