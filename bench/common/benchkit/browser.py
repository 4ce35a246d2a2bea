"""A minimal browser interface the contenders' flows are written against.

Two implementations: :class:`HttpBrowser` (stdlib http.client against a real
server, for the load generator) and ``benchkit.inproc.ClientBrowser`` (Django's
test client, in-process, which also counts SQL queries per request). A flow
follows redirects as a browser would, so every request a person's browser
makes is measured.
"""

from __future__ import annotations

import html
import http.client
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

_CSRF = re.compile(r'name=["\']csrfmiddlewaretoken["\']\s+value=["\']([^"\']+)["\']')
_CSRF_ALT = re.compile(r'value=["\']([^"\']+)["\']\s+name=["\']csrfmiddlewaretoken["\']')
_FORM = re.compile(r"<form\b[^>]*>", re.I)
_ACTION = re.compile(r'action=["\']([^"\']*)["\']', re.I)
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_ATTR = re.compile(r'([a-zA-Z_:-]+)\s*=\s*("[^"]*"|\'[^\']*\')')


SESSION_COOKIE = "sessionid"  # Django's default SESSION_COOKIE_NAME, kept by every site


def session_cookie_form(value: str | None) -> str:
    """What a session cookie holds: ``signed`` (the session data itself, signed:
    Django's signed-cookie sessions), ``key`` (a key into server-side storage:
    database sessions), or ``none``.

    A signed value is ``data:timestamp:signature``; a session key is 32 letters
    and digits. Lets a run check which engine a site really used.
    """
    if not value:
        return "none"
    return "signed" if ":" in value else "key"


def expected_session_cookie(engine: str) -> str:
    """The :func:`session_cookie_form` a logged-in browser has under ``engine``."""
    return "signed" if engine.endswith(".signed_cookies") else "key"


class FlowError(AssertionError):
    """The flow did not do what a working login does: the figure is void."""


@dataclass
class Response:
    method: str
    url: str
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def json(self) -> dict:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise FlowError(f"{self.method} {self.url}: not JSON: {self.body[:200]!r}") from exc

    def expect(self, *statuses: int) -> Response:
        if self.status not in statuses:
            raise FlowError(
                f"{self.method} {self.url}: status {self.status}, expected {statuses}: "
                f"{self.body[:300]!r}"
            )
        return self

    def csrf_token(self) -> str:
        match = _CSRF.search(self.body) or _CSRF_ALT.search(self.body)
        if not match:
            raise FlowError(f"{self.url}: no CSRF token in the page")
        return html.unescape(match.group(1))

    def form(self, marker: str, **fields: str) -> tuple[str, dict[str, str]]:
        """The action and the hidden fields of the form holding ``marker``, plus ``fields``.

        What a browser posts when the person fills in ``fields`` and submits.
        """
        at = self.body.find(marker)
        if at < 0:
            raise FlowError(f"{self.url}: no {marker!r} in the page: {self.body[:300]!r}")
        start = max((m.start() for m in _FORM.finditer(self.body) if m.start() < at), default=0)
        end = self.body.find("</form>", at)
        data: dict[str, str] = {}
        for tag in _INPUT.finditer(self.body, start, end if end > 0 else len(self.body)):
            attrs = {k.lower(): html.unescape(v[1:-1]) for k, v in _ATTR.findall(tag.group(0))}
            if attrs.get("type", "").lower() == "hidden" and "name" in attrs:
                data[attrs["name"]] = attrs.get("value", "")
        data.update(fields)
        return self.form_action(marker), data

    def form_action(self, marker: str) -> str:
        """Where the form containing ``marker`` (a field name) posts to."""
        at = self.body.find(marker)
        if at < 0:
            raise FlowError(f"{self.url}: no field {marker!r} in the page: {self.body[:300]!r}")
        forms = [m for m in _FORM.finditer(self.body) if m.start() < at]
        if not forms:
            return self.url
        action = _ACTION.search(forms[-1].group(0))
        raw = html.unescape(action.group(1)) if action else ""
        return urljoin(self.url, raw) if raw else self.url


class Browser:
    """What a flow needs: GET, form POST, JSON POST, following redirects."""

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        raise NotImplementedError

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", url, headers=headers)

    def post_form(self, url: str, data: dict[str, str]) -> Response:
        return self.request(
            "POST",
            url,
            body=urlencode(data).encode(),
            content_type="application/x-www-form-urlencoded",
        )

    def post_json(self, url: str, data: dict, *, headers: dict[str, str] | None = None) -> Response:
        return self.request(
            "POST",
            url,
            body=json.dumps(data).encode(),
            content_type="application/json",
            headers=headers,
        )

    def follow(self, response: Response, *, limit: int = 5) -> Response:
        """GET each redirect's target, as a browser does."""
        while response.status in (301, 302, 303, 307, 308) and limit:
            if not response.location:
                raise FlowError(f"{response.url}: redirect without Location")
            response = self.get(urljoin(response.url, response.location))
            limit -= 1
        return response


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class HttpBrowser(Browser):
    """A cookie-keeping client over http.client (one connection per request).

    gunicorn's sync workers close the connection after each response, so no
    keep-alive is attempted.
    """

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.base = f"http://{host}:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method, url, *, body=None, content_type=None, headers=None) -> Response:
        full = urljoin(self.base + "/", url)
        send = {"Host": f"{self.host}:{self.port}", "User-Agent": "twostep-bench"}
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            send["Content-Type"] = content_type
        if headers:
            send.update(headers)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path_of(full), body=body, headers=send)
            raw = conn.getresponse()
            data = raw.read().decode("utf-8", "replace")
            out_headers: dict[str, str] = {}
            for name, value in raw.getheaders():
                lname = name.lower()
                if lname == "set-cookie":
                    self._store_cookie(value)
                else:
                    out_headers[lname] = value
            return Response(method, full, raw.status, data, out_headers)
        finally:
            conn.close()

    def _store_cookie(self, header: str) -> None:
        pair, _, attrs = header.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = "max-age=0" in attrs.lower().replace(" ", "") or value in ('""', "")
        if expired:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value
