"""Helpers for the page tests: URLs, form error codes, safe-redirect checks."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from django.core import mail
from django.urls import reverse

from django_twostep.testing import TEST_PASSWORD

TRANSACTION_STATEMENTS = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def url(name: str, **kwargs) -> str:
    return reverse(f"twostep:{name}", kwargs=kwargs or None)


def error_codes(response, field: str | None = "code") -> list[str]:
    """The codes of the form errors of ``field`` (None: non-field errors)."""
    form = response.context["form"]
    key = field if field is not None else "__all__"
    return [error.code for error in form.errors.as_data().get(key, [])]


def page1(
    client, username: str = "alice", password: str = TEST_PASSWORD, *, query: str = "", **extra
):
    data = {"username": username, "password": password, **extra}
    return client.post(url("login") + query, data)


def page2(client, code: str, *, query: str = "", **extra):
    return client.post(url("login-code") + query, {"code": code, **extra})


def assert_stays_on_site(location: str) -> None:
    """A redirect target a browser resolves to this site (testserver over http)."""
    assert location, "empty Location"
    assert not location.startswith(("//", "/\\", "\\")), location
    assert not re.match(r"^\s", location), location
    resolved = urlsplit(urljoin("http://testserver/accounts/login/", location))
    assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), location


def statements(captured) -> list[str]:
    """SQL statements from a CaptureQueriesContext, without transaction control."""
    return [q["sql"] for q in captured if not TRANSACTION_STATEMENTS.match(q["sql"])]


def mailed_code() -> str:
    """The code in the newest mail, as a person reads their mailbox."""
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def secret_on_page(response) -> str:
    """The manual key on the authenticator-app set-up page, without its spaces."""
    html = response.content.decode()
    match = re.search(r'<code id="twostep-secret"[^>]*>([A-Z2-7 ]+)</code>', html)
    assert match, "no manual key on the page"
    return match.group(1).replace(" ", "")


def message_tags(response) -> list[str]:
    """The extra tags of the messages on a page (``twostep-<code>``)."""
    return [m.extra_tags for m in response.context["messages"]]
