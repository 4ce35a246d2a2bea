"""Known TOTP secrets and the codes an authenticator app would show (pyotp).

Every seeded user's secret is derived from the username, so the load generator
can make codes without reading any database.
"""

from __future__ import annotations

import base64
import hashlib
import time

import pyotp

PASSWORD = "bench-password-1"
PERIOD = 30


def secret_bytes(username: str) -> bytes:
    return hashlib.sha1(f"django-twostep-bench:{username}".encode()).digest()  # noqa: S324


def secret_b32(username: str) -> str:
    return base64.b32encode(secret_bytes(username)).decode().rstrip("=")


def code_for(username: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret_b32(username), interval=PERIOD).at(time.time() if at is None else at)


def wrong_code_for(username: str) -> str:
    """A well-formed code that no step near now accepts."""
    now = time.time()
    near = {code_for(username, now + k * PERIOD) for k in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def username(index: int) -> str:
    return f"user{index:06d}"


def check_username(index: int) -> str:
    """Users reserved for the wrong-code checks (kept out of the timed pool)."""
    return f"check{index:03d}"


CHECK_USERS = 40
