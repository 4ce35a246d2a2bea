"""The optional system parts some tests need, in one place: zbar (a real QR
decoder, Debian's ``libzbar0``), Chromium (the browser tests) and a PostgreSQL
server.

A test that needs a missing part skips, saying what is missing and the command
that installs it; with ``CI=true`` (``.ci/run`` installs every part) it fails
instead. The last line of the session lists what was skipped for want of what
(``tests/conftest.py``). ``tests/test_optional_parts.py`` fails when a test
module imports ``pyzbar``, ``playwright`` or ``psycopg`` other than through here
or the harnesses that check for them first.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from types import ModuleType
from typing import NoReturn

import pytest

INSTALL = {
    "zbar": "apt-get install -y libzbar0",
    "Chromium": "apt-get install -y chromium npm, then scripts/browser-deps",
    "PostgreSQL": "a running server, then DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
}

# What was skipped in this session, for the closing line: part -> tests (counted
# from the skip reasons by tests/conftest.py, so a session-wide fixture that
# skips counts every test it skips).
skipped: Counter[str] = Counter()
POSTGRESQL_ONLY = "needs PostgreSQL"
# The same tests when ``scripts/test`` runs them in its next leg: not missing.
POSTGRESQL_NEXT = "PostgreSQL-only: they run next"


def missing(part: str, why: str) -> NoReturn:
    """Skip this test for want of ``part`` (fail under ``CI=true``)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {part} is missing: {why}")
    pytest.skip(f"{part} not available ({why}); install: {INSTALL[part]}")


def note_skip(reason: str) -> None:
    """Count a skipped test against the part its reason names, if any."""
    if reason.startswith(POSTGRESQL_ONLY):
        skipped["PostgreSQL"] += 1
        return
    for part in INSTALL:
        if reason.startswith(f"{part} not available"):
            skipped[part] += 1


def decode_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in a PNG, as zbar reads them (skips without zbar)."""
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError as exc:  # pyzbar is installed; libzbar0 (a system library) may not be
        missing("zbar", str(exc))
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    return [symbol.data.decode() for symbol in decode(image, symbols=[ZBarSymbol.QRCODE])]


def psycopg() -> ModuleType:
    """PostgreSQL's driver, for a test already running on a PostgreSQL server (the
    driver is a test dependency; the server is the part that may be missing)."""
    import psycopg as driver

    return driver


def summary() -> str | None:
    """The session's closing line, when something was skipped for want of a part."""
    if not skipped:
        return None
    parts = "; ".join(
        f"{part} ({count} test{'s' if count != 1 else ''}; {INSTALL[part]})"
        for part, count in sorted(skipped.items())
    )
    return f"Skipped for want of: {parts}"
