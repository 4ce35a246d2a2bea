"""Tests that need an optional system part go through tests/optional.py, so a
machine without it skips them (and names what to install) instead of failing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import optional

TESTS = Path(__file__).resolve().parent
OPTIONAL_MODULES = {"pyzbar", "playwright", "psycopg"}
# The helper itself, and the harnesses that check for their part before they use
# it: the browser tests' (Chromium; tests/browser/conftest.py skips through the
# helper) and the multi-worker tests' (a PostgreSQL server, marked postgres or
# multiworker).
ALLOWED = {
    "optional.py",
    "browser/browsing.py",
    "browser/conftest.py",
    "browser/livesite.py",
    "browser/screenshots.py",
    "adversarial/live.py",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def offenders(root: Path) -> dict[str, set[str]]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if "node_modules" in path.parts or name in ALLOWED:
            continue
        direct = imports_of(path) & OPTIONAL_MODULES
        if direct:
            found[name] = direct
    return found


def test_no_test_module_imports_an_optional_part_around_the_helper():
    assert offenders(TESTS) == {}, "use tests/optional.py (its decode_qr, or missing())"


def test_the_check_finds_an_import_around_the_helper(tmp_path):
    (tmp_path / "test_sneaky.py").write_text(
        "def test_it():\n    from pyzbar.pyzbar import decode\n    import psycopg\n"
    )
    (tmp_path / "optional.py").write_text("import pyzbar\n")  # the helper may
    assert offenders(tmp_path) == {"test_sneaky.py": {"pyzbar", "psycopg"}}


def test_a_missing_part_skips_naming_its_install_command_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(optional, "skipped", optional.Counter())
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y libzbar0") as skip:
        optional.missing("zbar", "Unable to find zbar shared library")
    optional.note_skip(skip.value.msg)
    assert optional.summary() == ("Skipped for want of: zbar (1 test; apt-get install -y libzbar0)")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and zbar is missing"):
        optional.missing("zbar", "Unable to find zbar shared library")
