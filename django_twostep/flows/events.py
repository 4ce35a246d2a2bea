"""Security events: one call sends the signal, writes the log record and keeps the row.

The table cannot be flooded: refusals an attacker can repeat at will
(:data:`FOLDED_EVENTS`) share one row per user, event, method and minute, with
a ``count``; and the activity a user is shown always includes their latest
method changes (:data:`METHOD_CHANGES`), however many refusals came after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F

from .. import clock, signals
from ..models import SecurityEvent

logger = logging.getLogger("django_twostep.events")


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as far as events need to know."""

    ip: str | None = None
    user_agent: str = ""


NOWHERE = Origin()

#: Refusals folded into one row per user, event, method and minute.
FOLDED_EVENTS = frozenset({"throttled", "code_failed", "webauthn_counter_regressed"})
#: Changes to a user's methods: the activity list always shows the latest of them.
METHOD_CHANGES = ("enabled", "disabled", "recovery_codes_regenerated", "admin_reset")
METHOD_CHANGES_SHOWN = 5


def record(
    event: str,
    user: AbstractBaseUser | None,
    *,
    method: str = "",
    origin: Origin | None = None,
) -> None:
    """Record ``event`` (a key of ``django_twostep.signals.BY_EVENT``) for ``user``.

    Log records carry the user's primary key, never a username, code or secret.
    """
    origin = origin or NOWHERE
    now = clock.now()
    user_id = user.pk if user is not None else None
    if not (event in FOLDED_EVENTS and user_id is not None and _fold(user_id, event, method, now)):
        SecurityEvent.objects.create(
            user_id=user_id,
            event=event,
            method=method,
            ip=origin.ip,
            user_agent=origin.user_agent[:300],
            created_at=now,
        )
    logger.info(
        "twostep %s user=%s method=%s ip=%s",
        event,
        user.pk if user is not None else "-",
        method or "-",
        origin.ip or "-",
    )
    if user is not None:
        signals.BY_EVENT[event].send(type(user), user=user, method=method, origin=origin)


def _fold(user_id: object, event: str, method: str, now: object) -> bool:
    """Count one more ``event`` on the user's row of this minute, if there is one.

    One conditional ``UPDATE`` (no read-modify-write, so no increment is lost).
    Two first refusals racing in a new minute may each make a row: a handful at
    most, never one per request.
    """
    minute = now.replace(second=0, microsecond=0)
    return bool(
        SecurityEvent.objects.filter(
            user_id=user_id,
            event=event,
            method=method,
            created_at__gte=minute,
            created_at__lt=minute + timedelta(minutes=1),
        ).update(count=F("count") + 1)
    )


def recent(user: AbstractBaseUser, limit: int = 20) -> list[SecurityEvent]:
    """The user's latest events, newest first (the settings page shows them).

    The latest method changes are always among them, even when more than
    ``limit`` newer events (refusals, say) would push them off: two queries.
    """
    events = list(SecurityEvent.objects.filter(user_id=user.pk)[:limit])
    shown = {event.pk for event in events}
    changes = SecurityEvent.objects.filter(user_id=user.pk, event__in=METHOD_CHANGES)
    older = [e for e in changes[:METHOD_CHANGES_SHOWN] if e.pk not in shown]
    if not older:
        return events
    return sorted(events + older, key=lambda e: (e.created_at, e.pk), reverse=True)
