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
