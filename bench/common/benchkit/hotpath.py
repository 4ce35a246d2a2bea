"""One request at a time through a site's WSGI handler: the hot-path figures (h).

A :class:`Stack` is Django's ``WSGIHandler`` built for one middleware list (the
site's own, or the same without one middleware), so two variants of a figure
differ by exactly that. A request goes through it as a WSGI server sends one:
``request_started``, the middleware, the view, rendering, the body read and
``response.close()`` (``request_finished``); no HTTP parsing, no socket. The
environ of each request is built before the clock starts (RequestFactory's),
a fresh copy per request.

A :class:`Probe` is one variant: a stack, a path, the headers (a session cookie,
an ``Authorization`` header) and the status and body every answer must have.
Every timed answer is checked; one that is not as expected voids the figure.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _start_response(status: str, headers: list, exc_info: object = None) -> None:
    """A WSGI server's ``start_response``; the status is read from the response."""


class Stack:
    """Django's WSGI handler with its own middleware list."""

    def __init__(self, middleware: list[str]) -> None:
        self.middleware = list(middleware)
        with override_settings(MIDDLEWARE=self.middleware):
            self.handler = WSGIHandler()

    def call(self, environ: dict) -> tuple[int, bytes]:
        """One request: (status, body)."""
        response = self.handler(dict(environ), _start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        return response.status_code, body


@dataclass
class Probe:
    """One variant of a figure: what is requested, through which stack, and what
    every answer must be (the status, and the body when ``body`` is set)."""

    name: str
    stack: Stack
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    body: bytes | None = None

    def environ(self) -> dict:
        return RequestFactory().get(self.path, headers=self.headers).environ

    def check(self, status: int, body: bytes) -> str | None:
        """Why an answer is not what this variant must answer, or None."""
        if status != self.status:
            return f"{self.path} answered {status}, not {self.status}: {body[:200]!r}"
        if self.body is not None and self.body not in body:
            return f"{self.path} answered {body[:200]!r}, without {self.body!r}"
        return None


def expect(stack: Stack, path: str, status: int, *, headers: dict[str, str] | None = None) -> None:
    """A self-check request: raises AssertionError unless it answers ``status``."""
    probe = Probe("check", stack, path, headers or {}, status)
    problem = probe.check(*stack.call(probe.environ()))
    if problem:
        raise AssertionError(problem)


def is_transaction_control(sql: str) -> bool:
    return sql.lstrip().upper().startswith(_CONTROL)


def queries(probe: Probe) -> list[str]:
    """The SQL of one request of ``probe`` (transaction control left out)."""
    with CaptureQueriesContext(connection) as ctx:
        status, body = probe.stack.call(probe.environ())
    problem = probe.check(status, body)
    if problem:
        raise AssertionError(problem)
    return [q["sql"] for q in ctx.captured_queries if not is_transaction_control(q["sql"])]


def time_probe(probe: Probe, requests: int, warmup: int) -> float:
    """µs per request over ``requests`` requests, after ``warmup`` untimed ones.

    Raises AssertionError when any answer is not what the probe expects.
    """
    base = probe.environ()
    for _ in range(warmup):
        problem = probe.check(*probe.stack.call(base))
        if problem:
            raise AssertionError(problem)
    environs = [dict(base) for _ in range(requests)]
    handler, expected = probe.stack.handler, probe.status
    wrong = 0
    gc.collect()
    started = time.perf_counter()
    for environ in environs:
        response = handler(environ, _start_response)
        for _ in response:
            pass
        response.close()
        if response.status_code != expected:
            wrong += 1
    elapsed = time.perf_counter() - started
    if wrong:
        raise AssertionError(
            f"{wrong} of {requests} requests to {probe.path} did not answer {expected}"
        )
    return elapsed * 1e6 / requests
