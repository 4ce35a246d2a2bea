"""The one source of time in django_twostep.

Everything that reads the time (TOTP steps, expiry, back-off) calls these two
functions through the module, so a test can move time by patching ``time``
alone (see :class:`django_twostep.testing.Clock`).
"""

import time as _time
from datetime import UTC, datetime


def time() -> float:
    """Seconds since the epoch."""
    return _time.time()


def now() -> datetime:
    """The current time as an aware UTC datetime, consistent with :func:`time`."""
    return datetime.fromtimestamp(time(), tz=UTC)
