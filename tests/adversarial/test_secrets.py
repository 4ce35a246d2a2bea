"""Secrets never leak: logs (SQL included), error reports, headers, caches.

The whole flow set runs in-process, pages and API: TOTP set-up and activation,
recovery codes (shown, downloaded, used), both logins (two pages; one request
with ``code``/``X-OTP``/``auth_token``; two requests with ``two_factor_id``),
a trusted browser, step-up on a page and with ``X-MFA-Code``, e-mailed codes
(set-up, login, step-up trigger), refresh and refresh reuse, logout, disabling.

Every log record is captured at DEBUG, ``django.request`` and
``django.db.backends`` included: the SQL log is on (``force_debug_cursor``)
because its parameters are where a stored secret would show. They carry
keyed digests of codes, ids and tokens, the AES-GCM ciphertext of TOTP keys
and sealed session data, which this test proves by finding none of the raw
values in them. (The SQL log does carry Django's own session keys and CSRF
secrets; those are Django's cookies, not ours, and not searched for.)
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.views.debug import (
    ExceptionReporter,
    SafeExceptionReporterFilter,
    get_default_exception_reporter_filter,
)
from rest_framework.test import APIClient

from django_twostep import flows, state
from django_twostep.conf import twostep_settings
from django_twostep.flows import login as login_flows
from django_twostep.flows import tokens
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import RecoveryCodeDevice, SecurityEvent, TOTPDevice
from django_twostep.signals import BY_EVENT
from django_twostep.testing import TEST_PASSWORD, current_code, wrong_code
from tests.webauthn_authenticator import SoftwareAuthenticator

pytestmark = pytest.mark.django_db

TIMESTAMPS = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
RECOVERY = re.compile(r"\b[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}\b")


class Evidence:
    """Everything an attacker with the logs, error reports or a cache might see."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.responses: list = []

    def secret(self, kind: str, value: str) -> str:
        self.secrets[value] = kind
        return value

    def totp_secret(self, base32: str) -> None:
        raw = base64.b32decode(base32 + "=" * (-len(base32) % 8))
        for form in (base32, base32.lower(), raw.hex(), base64.b64encode(raw).decode()):
            self.secret("TOTP secret", form)

    def recovery(self, codes: list[str]) -> list[str]:
        for code in codes:
            self.secret("recovery code", code)
            self.secret("recovery code", code.replace("-", ""))
        return codes

    def seen(self, response):
        self.responses.append(response)
        return response


def mailed_code(evidence: Evidence) -> str:
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    return evidence.secret("e-mailed code", code)


def found(value: str, text: str) -> bool:
    if value.isdigit():  # a 6-digit code: not inside a longer number or a timestamp
        return re.search(rf"(?<!\d){value}(?!\d)", TIMESTAMPS.sub("<ts>", text)) is not None
    return value in text


@pytest.fixture
def sql_log():
    """Django logs SQL (with parameters) to django.db.backends at DEBUG."""
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


@pytest.fixture
def challenge_ids(monkeypatch, request):
    evidence = request.getfixturevalue("evidence")
    original = login_flows.begin_login

    def spy(user, **kwargs):
        pending = original(user, **kwargs)
        if pending is not None:
            evidence.secret("challenge id", pending.id)
        return pending

    # password_accepted() (pages and API) makes the pending logins.
    monkeypatch.setattr(login_flows, "begin_login", spy)


@pytest.fixture
def evidence() -> Evidence:
    return Evidence()


def run_the_pages(evidence, django_user_model, clock, settings):
    """Set-up, logins, trusted browser, step-up and e-mail codes, on the pages."""
    seen = evidence.seen
    bob = django_user_model.objects.create_user(
        "bob", email="bob@example.com", password=TEST_PASSWORD
    )
    evidence.secret("password", TEST_PASSWORD)
    browser = Client()
    seen(browser.post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}))
    seen(browser.get("/accounts/two-factor/totp/setup/"))
    evidence.totp_secret(TOTPDevice.objects.get(user=bob).base32_key)
    seen(browser.get("/accounts/two-factor/totp/setup/qr.png"))
    code = evidence.secret("TOTP code", current_code_pending(bob))
    seen(browser.post("/accounts/two-factor/totp/setup/", {"code": code}))
    page = seen(browser.get("/accounts/two-factor/recovery-codes/"))
    codes = evidence.recovery(RECOVERY.findall(page.content.decode()))
    assert len(codes) == 10
    seen(browser.get("/accounts/two-factor/recovery-codes/download/"))
    seen(browser.post("/accounts/two-factor/recovery-codes/", {"done": "1"}))
    seen(browser.post("/accounts/logout/"))
    clock.advance(30)

    # Two pages: a wrong code, then the right one, trusting the browser.
    browser = Client()
    seen(browser.post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}))
    seen(browser.get("/accounts/login/code/"))
    seen(browser.post("/accounts/login/code/", {"code": evidence.secret("code", wrong_code(bob))}))
    throttled = seen(browser.post("/accounts/login/code/", {"code": wrong_code(bob)}))
    assert throttled.status_code == 429
    clock.advance(1)
    good = evidence.secret("TOTP code", current_code(bob))
    seen(browser.post("/accounts/login/code/", {"code": good, "remember": "on"}))
    trusted = browser.cookies[state.TRUSTED_COOKIE_NAME].value
    evidence.secret("trusted-browser token", trusted.split(":")[0])
    seen(browser.get("/accounts/two-factor/"))
    # Step-up on a page, after the grace period.
    clock.advance(twostep_settings.STEP_UP_GRACE + 30)
    seen(browser.get("/password/"))
    code = evidence.secret("TOTP code", current_code(bob))
    seen(browser.post("/accounts/two-factor/verify/?next=/password/", {"code": code}))
    seen(browser.get("/password/"))
    # E-mail codes: set up, then a login with one.
    seen(browser.post("/accounts/two-factor/email/setup/", {"send": "1"}))
    seen(browser.post("/accounts/two-factor/email/setup/", {"code": mailed_code(evidence)}))
    seen(browser.post("/accounts/logout/"))
    clock.advance(60)
    # The trusted browser skips page 2.
    seen(browser.post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}))
    other = Client()
    seen(other.post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}))
    seen(other.post("/accounts/login/code/email/"))
    seen(other.post("/accounts/login/code/", {"code": mailed_code(evidence)}))
    # A recovery code on page 2 (the recovery field), then disabling TOTP with another.
    third = Client()
    seen(third.post("/accounts/login/", {"username": "bob", "password": TEST_PASSWORD}))
    seen(third.get("/accounts/login/code/?method=recovery"))
    seen(third.post("/accounts/login/code/?method=recovery", {"code": codes[0]}))
    seen(third.post("/accounts/two-factor/totp/disable/", {"code": codes[1]}))
    return bob


def current_code_pending(user) -> str:
    """The code of the user's pending (not yet active) TOTP device."""
    from django_twostep import clock
    from django_twostep.testing import totp_for

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return totp_for(device).at(clock.time())


def run_the_api(evidence, django_user_model, clock):
    """Enrolment, both logins, refresh (and reuse), step-up, e-mail trigger, logout."""
    seen = evidence.seen
    django_user_model.objects.create_user("carol", email="c@example.com", password=TEST_PASSWORD)
    api = APIClient()
    credentials = {"username": "carol", "password": TEST_PASSWORD}

    def tokens(response):
        payload = response.json()
        evidence.secret("access token", payload["access_token"])
        evidence.secret("refresh token", payload["refresh_token"])
        return payload

    first = tokens(seen(api.post("/api/v1/auth/login", credentials, format="json")))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    setup = seen(api.post("/api/v1/users/me/otp")).json()
    evidence.totp_secret(setup["secret"])
    evidence.secret("otpauth URI", setup["url"])
    carol = django_user_model.objects.get(username="carol")
    code = evidence.secret("TOTP code", current_code_pending(carol))
    seen(api.patch("/api/v1/users/me/otp", {"code": code}, format="json"))
    codes = evidence.recovery(seen(api.post("/api/v1/users/me/recovery-codes")).json()["codes"])
    clock.advance(30)

    anonymous = APIClient()
    challenge = seen(anonymous.post("/api/v1/auth/login", credentials, format="json"))
    two_factor_id = evidence.secret("challenge id", challenge.json()["meta"]["two_factor_id"])
    bad = evidence.secret("code", wrong_code(carol))
    data = {"two_factor_id": two_factor_id, "code": bad}
    seen(anonymous.post("/api/v1/auth/two-factor", data, format="json"))
    clock.advance(1)
    data["code"] = evidence.secret("TOTP code", current_code(carol))
    second = tokens(seen(anonymous.post("/api/v1/auth/two-factor", data, format="json")))
    refresh = {"refresh_token": second["refresh_token"]}
    tokens(seen(anonymous.post("/api/v1/auth/token/refresh", refresh, format="json")))
    seen(anonymous.post("/api/v1/auth/token/refresh", refresh, format="json"))  # reuse
    clock.advance(30)
    header = evidence.secret("TOTP code", current_code(carol))
    third = tokens(
        seen(anonymous.post("/api/v1/auth/login", credentials, format="json", HTTP_X_OTP=header))
    )
    body = {**credentials, "auth_token": codes[0]}
    tokens(seen(anonymous.post("/api/v1/auth/login", body, format="multipart")))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {third['access_token']}")
    clock.advance(30)
    step_up = evidence.secret("TOTP code", current_code(carol))
    new_password = evidence.secret("password", "a new passphrase for carol")
    change = {"password": TEST_PASSWORD, "new_password": new_password}
    seen(client.patch("/api/v1/me/password", change, format="json", HTTP_X_MFA_CODE=step_up))
    seen(client.post("/api/v1/auth/logout"))
    return carol


def run_the_email_trigger(evidence, bob, clock):
    """bob (e-mail method on) gets a token with a recovery code, then a step-up code by mail."""
    api = APIClient()
    codes = evidence.recovery(recovery_flows.generate_recovery_codes(bob))
    body = {"username": "bob", "password": TEST_PASSWORD, "code": codes[0]}
    payload = evidence.seen(api.post("/api/v1/auth/login", body, format="json")).json()
    evidence.secret("access token", payload["access_token"])
    evidence.secret("refresh token", payload["refresh_token"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {payload['access_token']}")
    clock.advance(60)
    evidence.seen(api.post("/api/v1/mfa/trigger", {"type": "email"}, format="json"))
    code = mailed_code(evidence)
    evidence.seen(api.post("/api/v1/users/me/recovery-codes", HTTP_X_MFA_CODE=code))


def run_the_security_key(evidence, django_user_model, clock):
    """kim registers a security key through the API, logs in with it and with a passkey,
    then a clone of the key answers with a counter that did not grow."""
    kim = django_user_model.objects.create_user("kim", password=TEST_PASSWORD)
    key = SoftwareAuthenticator()
    issued = tokens.issue_tokens(kim)
    evidence.secret("access token", issued.access_token)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    options = evidence.seen(api.post("/api/v1/users/me/webauthn/register")).json()
    registration = {"name": "Blue key", "credential": key.register(options)}
    evidence.seen(api.patch("/api/v1/users/me/webauthn/register", registration, format="json"))
    anonymous = APIClient()
    begun = evidence.seen(anonymous.post("/api/v1/auth/passkey", {}, format="json")).json()
    evidence.secret("passkey id", begun["passkey_id"])
    answer = {"passkey_id": begun["passkey_id"], "credential": key.assert_(begun["publicKey"])}
    payload = evidence.seen(
        anonymous.post("/api/v1/auth/passkey/complete", answer, format="json")
    ).json()
    evidence.secret("access token", payload["access_token"])
    evidence.secret("refresh token", payload["refresh_token"])
    clock.advance(1801)
    key.credentials[-1].counter = 0  # a clone: its counter does not grow
    options = evidence.seen(api.post("/api/v1/mfa/trigger", {"type": "webauthn"}, format="json"))
    clone = {"type": "webauthn", "credential": key.assert_(options.json())}
    refused = evidence.seen(api.post("/api/v1/mfa/verify", clone, format="json"))
    assert refused.json()["errors"][0]["code"] == "invalid_credential"


@pytest.fixture
def signalled():
    """Every django-twostep signal received: (event, user pk, method)."""
    received = []
    receivers = {}
    for event, signal in BY_EVENT.items():

        def receiver(sender, user, method, origin, event=event, **kwargs):
            received.append((event, user.pk, method))

        receivers[event] = receiver
        signal.connect(receiver, weak=False)
    yield received
    for event, signal in BY_EVENT.items():
        signal.disconnect(receivers[event])


def test_no_secret_in_logs_headers_error_pages_or_caches(
    django_user_model,
    twostep_clock,
    settings,
    caplog,
    sql_log,
    evidence,
    challenge_ids,
    signalled,
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    bob = run_the_pages(evidence, django_user_model, twostep_clock, settings)
    run_the_api(evidence, django_user_model, twostep_clock)
    run_the_email_trigger(evidence, bob, twostep_clock)
    run_the_security_key(evidence, django_user_model, twostep_clock)
    call_command("twostep_reset", "bob", stdout=io.StringIO())

    # Every event is a signal, a log record and a row of the security-event table.
    events = set(BY_EVENT)
    assert {event for event, _, _ in signalled} == events
    logged = {
        r.getMessage().split()[1] for r in caplog.records if r.name == "django_twostep.events"
    }
    assert logged == events
    assert set(SecurityEvent.objects.values_list("event", flat=True)) == events

    kinds = set(evidence.secrets.values())
    assert {
        "TOTP secret",
        "TOTP code",
        "recovery code",
        "challenge id",
        "e-mailed code",
        "access token",
        "refresh token",
        "trusted-browser token",
        "password",
    } <= kinds
    assert sum(kind == "challenge id" for kind in evidence.secrets.values()) >= 4
    loggers = {record.name for record in caplog.records}
    assert {"django.db.backends", "django.request", "django_twostep.events"} <= loggers
    assert len([r for r in caplog.records if r.name == "django.db.backends"]) > 200

    # Log records: message, arguments, exceptions.
    log_text = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    leaks = [(kind, value) for value, kind in evidence.secrets.items() if found(value, log_text)]
    assert not leaks, leaks

    # Response headers (the trusted-browser cookie carries its own token, and only it).
    for response in evidence.responses:
        headers = {k: v for k, v in response.headers.items()}
        cookies = {
            name: morsel.OutputString()
            for name, morsel in response.cookies.items()
            if name != state.TRUSTED_COOKIE_NAME
        }
        text = f"{headers} {cookies} {getattr(response, 'url', '')}"
        leaks = [(k, v) for v, k in evidence.secrets.items() if found(v, text)]
        assert not leaks, (response.wsgi_request.path, leaks)

    # Error answers never echo one either (a two_factor_required answer hands its
    # owner the new two_factor_id, and nothing else).
    for response in evidence.responses:
        if response.status_code >= 400:
            body = response.content.decode(errors="replace")
            own = (response.json().get("meta") or {}) if "json" in response["Content-Type"] else {}
            leaks = [
                (k, v)
                for v, k in evidence.secrets.items()
                if found(v, body) and v != own.get("two_factor_id")
            ]
            assert not leaks, (response.wsgi_request.path, response.status_code, leaks)

    # Whatever shows a secret, a code or a token is never cached.
    shown = 0
    for response in evidence.responses:
        body = response.content.decode(errors="replace")
        if any(found(value, body) for value in evidence.secrets):
            shown += 1
            assert "no-store" in response.get("Cache-Control", ""), response.wsgi_request.path
    assert shown >= 8


# -- error reports ---------------------------------------------------------------------


def reports(caplog) -> list[str]:
    """What error reports of the logged server errors show of their requests.

    The text report (Django's error e-mail to ADMINS) and the HTML one
    (``include_html``, DEBUG pages, with every frame's local variables) in
    full, and the request's POST data, headers and cookies as the request's
    filter gives them.
    """
    texts = []
    for record in caplog.records:
        if record.name == "django.request" and record.levelno >= logging.ERROR:
            request = record.request
            reporter = ExceptionReporter(request, *record.exc_info, is_email=True)
            texts.append(reporter.get_traceback_text())
            texts.append(reporter.get_traceback_html())
            seen = reporter.filter
            texts.append(
                f"{seen.get_post_parameters(request)!r} {seen.get_safe_request_meta(request)!r}"
                f" {seen.get_safe_cookies(request)!r}"
            )
    assert texts, "no error was reported"
    return texts


def explode(*args, **kwargs):
    raise RuntimeError("forced failure")


@pytest.fixture
def failing(monkeypatch, caplog):
    """Code checks that fail with a server error (a bug, a database outage)."""
    monkeypatch.setattr(flows, "verify_login_code", explode)
    monkeypatch.setattr(flows, "verify_second_factor", explode)
    monkeypatch.setattr(login_flows, "verify_second_factor", explode)  # auth/login with a code
    monkeypatch.setattr(tokens, "verify_second_factor", explode)
    caplog.set_level(logging.ERROR, logger="django.request")


def pending_challenge_id(client) -> str:
    request = HttpRequest()
    request.session = client.session
    return state.pending_login(request).challenge_id


def test_error_reports_hide_a_password_that_repr_would_escape(
    django_user_model, monkeypatch, caplog
):
    password = 'it\'s \\ "quoted" \t 1'
    django_user_model.objects.create_user("quentin", password=password)
    monkeypatch.setattr("django_twostep.forms.authenticate", explode)
    caplog.set_level(logging.ERROR, logger="django.request")
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "quentin", "password": password})
    assert response.status_code == 500
    for report in reports(caplog):
        for shown in (password, repr(password)[1:-1], html.escape(repr(password)[1:-1])):
            assert shown not in report


def test_error_reports_hide_passwords_and_codes_on_the_pages(
    totp_user, twostep_clock, failing, caplog
):
    client = Client(raise_request_exception=False)
    client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
    code = current_code(totp_user)
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 500
    text, html, sections = reports(caplog)
    assert code not in text and code not in html and code not in sections
    challenge_id = pending_challenge_id(client)  # with a code, it logs in through the API
    assert challenge_id not in text and challenge_id not in html
    assert "code = '********************'" in text


FORMATS = {
    "urlencoded": lambda data: {
        "data": urlencode(data),
        "content_type": "application/x-www-form-urlencoded",
    },
    "multipart": lambda data: {"data": data, "format": "multipart"},
}


@pytest.mark.parametrize("body", sorted(FORMATS))
def test_error_reports_hide_passwords_codes_and_code_headers_on_the_api(
    totp_user, twostep_clock, failing, caplog, body
):
    api = APIClient(raise_request_exception=False)
    code, header = current_code(totp_user), current_code(totp_user, offset_steps=1)
    data = {"username": "alice", "password": TEST_PASSWORD, "code": code}
    response = api.post("/api/v1/auth/login", **FORMATS[body](data), HTTP_X_OTP=header)
    assert response.status_code == 500
    challenge = APIClient().post(
        "/api/v1/auth/login", {"username": "alice", "password": TEST_PASSWORD}, format="json"
    )
    two_factor_id = challenge.json()["meta"]["two_factor_id"]
    data = {"two_factor_id": two_factor_id, "code": code}
    assert api.post("/api/v1/auth/two-factor", **FORMATS[body](data)).status_code == 500
    assert (
        api.post(
            "/api/v1/auth/two-factor", {"two_factor_id": two_factor_id}, HTTP_X_OTP=header
        ).status_code
        == 500
    )
    for report in reports(caplog):
        for value in (TEST_PASSWORD, code, header, two_factor_id):
            assert value not in report, value


def test_error_reports_hide_the_step_up_header_and_bearer_token(
    totp_user, twostep_clock, failing, caplog
):
    issued = tokens.issue_tokens(totp_user)
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    code = current_code(totp_user)
    response = api.post("/api/v1/users/me/recovery-codes", HTTP_X_MFA_CODE=code)
    assert response.status_code == 500
    for report in reports(caplog):
        assert code not in report
        assert issued.access_token not in report


def test_error_reports_hide_the_trusted_browser_cookie(
    totp_user, twostep_clock, monkeypatch, caplog
):
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
    client.post("/accounts/login/code/", {"code": current_code(totp_user), "remember": "on"})
    token = client.cookies[state.TRUSTED_COOKIE_NAME].value
    client.post("/accounts/logout/")
    monkeypatch.setattr(login_flows, "use_trusted_browser", explode)
    caplog.set_level(logging.ERROR, logger="django.request")
    client.raise_request_exception = False
    response = client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 500
    for report in reports(caplog):
        assert token.split(":")[0] not in report
        assert TEST_PASSWORD not in report


def test_error_reports_hide_a_json_body_and_codes_as_normalised(
    totp_user, twostep_clock, monkeypatch, caplog
):
    """A failure deep in the check, after the code was normalised (a recovery code
    typed in capitals with dashes), and an API login in JSON: no form of the
    code, nor the password, shows in any frame of the report."""
    typed = recovery_flows.generate_recovery_codes(totp_user)[0].upper()
    canonical = typed.replace("-", "").lower()
    monkeypatch.setattr(RecoveryCodeDevice, "consume_code", explode)
    caplog.set_level(logging.ERROR, logger="django.request")
    client = Client(raise_request_exception=False)
    client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})
    assert client.post("/accounts/login/code/", {"code": typed}).status_code == 500
    api = APIClient(raise_request_exception=False)
    data = {"username": "alice", "password": TEST_PASSWORD, "code": typed}
    assert api.post("/api/v1/auth/login", data, format="json").status_code == 500
    found = reports(caplog)
    assert len(found) == 6  # text, HTML and sections of each error
    for report in found:
        for value in (typed, canonical, TEST_PASSWORD):
            assert value not in report, value


class SiteFilter(SafeExceptionReporterFilter):
    """A site's own filter (``DEFAULT_EXCEPTION_REPORTER_FILTER``)."""

    cleansed_substitute = "[hidden by the site]"


def test_a_sites_own_filter_is_extended_not_replaced(
    totp_user, twostep_clock, failing, caplog, settings, request
):
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = f"{__name__}.SiteFilter"
    get_default_exception_reporter_filter.cache_clear()  # Django caches the instance
    request.addfinalizer(get_default_exception_reporter_filter.cache_clear)
    api = APIClient(raise_request_exception=False)
    data = {"username": "alice", "password": TEST_PASSWORD}
    header = current_code(totp_user)
    assert api.post("/api/v1/auth/login", data, HTTP_X_OTP=header).status_code == 500
    text, html, _sections = reports(caplog)
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert isinstance(record.request.exception_reporter_filter, SiteFilter)
    assert "HTTP_X_OTP = '[hidden by the site]'" in text
    assert header not in text and header not in html
    assert "[hidden by the site]" in html  # the frames' locals, in the site's words
