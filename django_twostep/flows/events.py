"""Security events: one call sends the signal, writes the log record and keeps the row."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from .. import clock, signals
from ..models import SecurityEvent

logger = logging.getLogger("django_twostep.events")


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as far as events need to know."""

    ip: str | None = None
    user_agent: str = ""


NOWHERE = Origin()


def record(
    event: str,
    user: AbstractBaseUser | None,
    *,
    method: str = "",
    origin: Origin | None = None,
) -> None:
    """Record ``event`` (a key of :data:`django_twostep.signals.BY_EVENT`) for ``user``.

    Log records carry the user's primary key, never a username, code or secret.
    """
    origin = origin or NOWHERE
    SecurityEvent.objects.create(
        user_id=user.pk if user is not None else None,
        event=event,
        method=method,
        ip=origin.ip,
        user_agent=origin.user_agent[:300],
        created_at=clock.now(),
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


def recent(user: AbstractBaseUser, limit: int = 20) -> list[SecurityEvent]:
    """The user's latest events, newest first (the settings page shows them)."""
    return list(SecurityEvent.objects.filter(user_id=user.pk)[:limit])
