"""Known TOTP secrets and the codes an authenticator app would show (pyotp).

Every seeded user's secret is derived from the username, so the load generator
can make codes without reading any database.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable

PASSWORD = "bench-password-1"
PERIOD = 30


def secret_bytes(username: str) -> bytes:
    return hashlib.sha1(f"django-twostep-bench:{username}".encode()).digest()  # noqa: S324


def secret_b32(username: str) -> str:
    return base64.b32encode(secret_bytes(username)).decode().rstrip("=")


def code_for(username: str, at: float | None = None) -> str:
    import pyotp  # here, so the report (stdlib only) can import the flows

    return pyotp.TOTP(secret_b32(username), interval=PERIOD).at(time.time() if at is None else at)


def wrong_code_for(username: str) -> str:
    """A well-formed code that no step near now accepts."""
    now = time.time()
    near = {code_for(username, now + k * PERIOD) for k in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


class App:
    """The user's authenticator app, read at the moment the code is typed in.

    Remembers when it was read: a code read just before a 30 s step ends can be
    refused by a server that accepts the current step only (allauth's default
    tolerance is 0). :meth:`crossed_step` tells such an unlucky refusal apart
    from a real one.
    """

    def __init__(self, username: str, *, wrong: bool = False) -> None:
        self.username = username
        self.wrong = wrong
        self.read_at: float | None = None

    def __call__(self) -> str:
        self.read_at = time.time()
        if self.wrong:
            return wrong_code_for(self.username)
        return code_for(self.username, self.read_at)

    def crossed_step(self) -> bool:
        """Whether a step boundary passed since the code was read."""
        if self.read_at is None:
            return False
        return int(self.read_at // PERIOD) != int(time.time() // PERIOD)


CodeSource = Callable[[], str]


def username(index: int) -> str:
    return f"user{index:06d}"


def check_username(index: int) -> str:
    """Users reserved for the wrong-code checks (kept out of the timed pool)."""
    return f"check{index:03d}"


CHECK_USERS = 40
