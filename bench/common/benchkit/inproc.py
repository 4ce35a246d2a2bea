"""Django's test client behind the :class:`~benchkit.browser.Browser` interface.

Each request is recorded with its SQL queries, so one login gives the query
count of every step of the flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .browser import Browser, Response, path_of

BASE = "http://testserver"


@dataclass
class Step:
    method: str
    path: str
    status: int
    queries: list[str] = field(default_factory=list)
    ms: float = 0.0


class ClientBrowser(Browser):
    def __init__(self, *, record_queries: bool = False) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.record_queries = record_queries
        self.steps: list[Step] = []

    def request(self, method, url, *, body=None, content_type=None, headers=None) -> Response:
        full = urljoin(BASE + "/", url)
        path = path_of(full)
        kwargs = {"headers": headers or {}}
        if method == "GET":
            call = lambda: self.client.get(path, **kwargs)  # noqa: E731
        else:
            call = lambda: self.client.generic(  # noqa: E731
                method, path, body or b"", content_type or "application/octet-stream", **kwargs
            )
        if self.record_queries:
            with CaptureQueriesContext(connection) as ctx:
                raw = call()
            self.steps.append(
                Step(method, path, raw.status_code, [q["sql"] for q in ctx.captured_queries])
            )
        else:
            started = time.perf_counter()
            raw = call()
            elapsed = (time.perf_counter() - started) * 1000
            self.steps.append(Step(method, path, raw.status_code, ms=elapsed))
        text = b"".join(raw.streaming_content) if raw.streaming else raw.content
        out_headers = {k.lower(): v for k, v in raw.headers.items()}
        return Response(method, full, raw.status_code, text.decode("utf-8", "replace"), out_headers)

    def session_cookie(self) -> str | None:
        from django.conf import settings

        morsel = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        return morsel.value if morsel is not None and morsel.value else None
