"""docs/security.md's table of requirements points at tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def table_rows() -> list[str]:
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Requirements and the tests that prove them", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return rows[1:]  # the header; the |---| line does not start with "| "


def test_every_requirement_points_at_tests_that_exist():
    rows = table_rows()
    assert len(rows) >= 20
    for row in rows:
        references = REFERENCE.findall(row)
        assert references, row
        for path, name in references:
            source = (ROOT / path).read_text()
            assert re.search(rf"^\s*def {name}\(", source, re.M), f"{path}::{name}"


def test_the_live_log_scan_finds_what_it_looks_for():
    """The end-of-session scan of the live servers' logs is not vacuous."""
    from .conftest import leaked_secrets
    from .live import Secrets

    seen = Secrets()
    seen.add("123456", "654321", "a-token-of-sorts", "short")
    log = (
        "[2026-01-01 00:00:00 +0000] [123456] [INFO] Booting worker with pid: 123456\n"
        "INFO django_twostep.events 123456 twostep verified user=3\n"
        '<123456> "POST /api/v1/auth/login HTTP/1.1" 200\n'
    )
    assert leaked_secrets(log, seen) == []  # a pid that looks like a code is not a leak
    assert leaked_secrets(log + "DEBUG x code=654321\n", seen) == ["654321"]
    assert leaked_secrets(log + "a-token-of-sorts", seen) == ["a-token-of-sorts"]
