"""The layering that import-linter cannot see: only ``django_twostep/state.py``
touches the session.

import-linter (the contracts in ``pyproject.toml``, run by ``make lint``) checks
which module imports which; reaching ``request.session`` needs no import, so
this test reads every module of the package with :mod:`ast` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import django_twostep

PACKAGE = Path(django_twostep.__file__).resolve().parent

# Paths relative to PACKAGE that may touch the session.
ALLOWED = {
    # The pages' per-browser state: the one module that owns the session.
    "state.py": "owns the session",
    # The pytest plugin for sites' tests: it builds a request around a test client's
    # session (login_verified). It is test tooling, never imported by the app.
    "testing.py": "test helper around django.test.Client.session",
}

# Built-ins that reach an attribute by name.
_BY_NAME = {"getattr", "setattr", "hasattr", "delattr", "attrgetter"}


def session_uses(source: str) -> list[int]:
    """Line numbers where ``source`` touches a session.

    Any attribute named ``session``, read, written or deleted
    (``request.session``, ``self.request.session[...] = ...``), and the name
    ``"session"`` handed to ``getattr``, ``setattr``, ``hasattr``, ``delattr``
    or ``operator.attrgetter``. Comments, docstrings and plain variables named
    ``session`` are not uses.
    """
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if (isinstance(node, ast.Attribute) and node.attr == "session")
        or (isinstance(node, ast.Call) and _names_session(node))
    )


def _names_session(call: ast.Call) -> bool:
    """``getattr(x, "session")`` and the like."""
    return _called_name(call.func) in _BY_NAME and any(
        isinstance(arg, ast.Constant) and arg.value == "session" for arg in call.args
    )


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):  # operator.attrgetter
        return func.attr
    return None


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_state_touches_the_session():
    offenders = {}
    for path in package_modules():
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in ALLOWED:
            continue
        lines = session_uses(path.read_text(encoding="utf-8"))
        if lines:
            offenders[relative] = lines
    assert offenders == {}, (
        "only django_twostep/state.py may touch the session; add a function there"
    )


def test_the_allowed_modules_do_touch_the_session():
    """Each exception is still needed (and the scan sees the package at all)."""
    assert len(package_modules()) > 30
    for relative in ALLOWED:
        assert session_uses((PACKAGE / relative).read_text(encoding="utf-8")), relative


@pytest.mark.parametrize(
    "source",
    [
        "request.session['k'] = 1",
        "value = request.session.get('k')",
        "self.request.session.cycle_key()",
        "del request.session['k']",
        "x = 'k' in request.session",
        "async def f(request):\n    return await request.session.aget('k')",
        "store = getattr(request, 'session', None)",
        "hasattr(request, 'session')",
        "setattr(request, 'session', store)",
        "import operator\nread = operator.attrgetter('session')",
        "def f(request):\n    s = request.session\n    return s",
    ],
)
def test_the_checker_finds_session_uses(source):
    assert session_uses(source)


def test_the_checker_reports_the_line():
    source = "import os\n\n\ndef f(request):\n    request.session.flush()\n"
    assert session_uses(source) == [5]


@pytest.mark.parametrize(
    "source",
    [
        '"""Reads request.session."""',
        "# request.session['k']",
        "session = object()",
        "name = 'session'",
        "request.sessions",
        "request.session_key",
        "getattr(request, 'user', None)",
        "from django.contrib.sessions.backends.db import SessionStore",
    ],
)
def test_the_checker_ignores_what_is_not_a_session_use(source):
    assert session_uses(source) == []
