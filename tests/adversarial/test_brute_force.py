"""Brute force across workers, servers and paths: one per-user back-off (SPEC 4, "Details").

An attacker who holds the password spreads wrong codes over everything that
checks one: two API challenges, the one-request ``X-OTP`` login, page 2, the
API step-up (``X-MFA-Code``), the step-up page and TOTP removal, alternating
between two gunicorn servers (3 worker processes each) over one database. Every
wrong code counts on the same record. Once the back-off bites, every path on
every server answers throttled and checks no code, a correct one included,
until the wait is over; then the correct code works.

The servers run with ``TWOSTEP_THROTTLE_FACTOR`` = 1/16: the wait after n
wrong codes is 2^(n-1)/16 s, so the 7 failures below cost 4 s of real waiting
and leave a 4 s window to try every path while throttled.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests

from django_twostep.testing import TEST_PASSWORD

from .conftest import GUARDED_FACTOR
from .live import (
    OTP,
    PASSWORD,
    TWO_FACTOR,
    Account,
    Browser,
    LiveServer,
    codes_of,
    make_account,
)

pytestmark = pytest.mark.multiworker

VERIFY_PAGE = "/accounts/two-factor/verify/"
PAGE2 = "/accounts/login/code/"


@pytest.fixture(scope="module")
def second_guarded_server(live_servers) -> LiveServer:
    """Another server (its own workers) with the same settings, over the same database."""
    return live_servers("guarded-b", TWOSTEP_THROTTLE_FACTOR=str(GUARDED_FACTOR))


def on(server: LiveServer, account: Account) -> Account:
    """The same user, talking to ``server``."""
    return Account(**{**account.__dict__, "server": server})


def page_browser(server: LiveServer, account: Account) -> Browser:
    browser = Browser(server, account.seen)
    browser.start_login(account.username)
    return browser


def logged_in_browser(server: LiveServer, account: Account) -> Browser:
    """A browser that passed page 2 with a recovery code (before the attack starts)."""
    browser = page_browser(server, account)
    code = account.recovery_codes.pop()
    assert browser.page2(code).headers.get("Location") == "/"
    return browser


def test_wrong_codes_on_every_path_draw_on_one_backoff(
    guarded_server, second_guarded_server, fast_server, live_db, live_secrets
):
    servers = [guarded_server, second_guarded_server]
    account = make_account(guarded_server, live_db, live_secrets, "brute")
    a, b = (on(server, account) for server in servers)
    first, second = a.challenge(), b.challenge()
    page2 = page_browser(guarded_server, account)
    verify = logged_in_browser(second_guarded_server, account)
    token = account.access_token  # verified at activation; a sent X-MFA-Code is checked anyway
    password_body = {"password": TEST_PASSWORD, "new_password": "a whole new passphrase"}
    assert live_db.failures(account.user_id) == 0

    def attempts(code: str) -> list[tuple[str, Callable[[], requests.Response]]]:
        """Each path with ``code``, alternating servers."""
        return [
            ("challenge 1", lambda: a.post(TWO_FACTOR, {"two_factor_id": first, "code": code})),
            ("challenge 2", lambda: b.post(TWO_FACTOR, {"two_factor_id": second, "code": code})),
            ("X-OTP", lambda: a.login(headers={"X-OTP": code})),
            ("page 2", lambda: page2.page2(code)),
            (
                "X-MFA-Code",
                lambda: b.request(
                    "PATCH", PASSWORD, token=token, json=password_body, headers={"X-MFA-Code": code}
                ),
            ),
            ("step-up page", lambda: verify.post(VERIFY_PAGE, {"code": code})),
            ("disable", lambda: b.request("DELETE", OTP, token=token, json={"code": code})),
        ]

    # Wrong codes, one per path, each actually checked (the wait before it waited out).
    expected_refusal = {
        "challenge 1": (400, ["invalid_code"]),
        "challenge 2": (400, ["invalid_code"]),
        "X-OTP": (400, ["invalid_code"]),
        "X-MFA-Code": (403, ["mfa_code_invalid"]),
        "disable": (400, ["invalid_code"]),
    }
    bad = account.wrong_code()
    for n, (path, attempt) in enumerate(attempts(bad), start=1):
        live_db.wait_out_backoff(account.user_id, at_most=GUARDED_FACTOR * 2 ** (n - 2) + 1)
        response = attempt()
        if path in expected_refusal:
            assert (response.status_code, codes_of(response)) == expected_refusal[path], path
        else:  # a page: the form again, with its error
            assert response.status_code == 200, (path, response.status_code)
            assert "twostep-field-invalid" in response.text, path
        assert live_db.failures(account.user_id) == n, path  # one counter for every path

    # The back-off bites: 7 failures, a wait of 64/16 = 4 s. Every path, on every server
    # (the fast one has no back-off of its own: the wait lives in the database), refuses
    # the correct code without checking it.
    good = account.next_code()
    last_t = live_db.totp_state(account.user_id)[0]
    elsewhere = on(fast_server, account)
    throttled = [*attempts(good), ("X-OTP, other server", lambda: elsewhere.login(code=good))]
    for path, attempt in throttled:
        response = attempt()
        assert response.status_code == 429, (path, response.status_code, response.text[:300])
        assert 1 <= int(response.headers["Retry-After"]) <= 4, path
        if response.headers["Content-Type"].startswith("application/"):
            assert codes_of(response) == ["too_many_attempts"], path
        else:  # the page states the wait in seconds
            wait = response.headers["Retry-After"]
            assert re.search(rf"\b{wait} seconds?\b", response.text), path
    shown = page2.get(PAGE2)
    assert shown.status_code == 200 and re.search(r'data-wait="[1-4]"', shown.text)
    assert live_db.failures(account.user_id) == 7  # refusals do not count
    assert live_db.totp_state(account.user_id)[0] == last_t  # the correct code was not used

    # Once the wait is over, the correct code works (and the back-off resets).
    live_db.wait_out_backoff(account.user_id, at_most=4.5)
    response = b.login(code=good)
    assert response.status_code == 200, response.text
    assert live_db.failures(account.user_id) == 0


def test_a_burned_challenge_is_expired_before_throttling_is_considered(
    guarded_server, live_db, live_secrets
):
    account = make_account(guarded_server, live_db, live_secrets, "brute-burn")
    two_factor_id = account.challenge()
    bad = account.wrong_code()
    for n in range(1, 6):
        live_db.wait_out_backoff(account.user_id, at_most=GUARDED_FACTOR * 2 ** (n - 2) + 1)
        response = account.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": bad})
        assert codes_of(response) == ["invalid_code"]
    assert response.json()["errors"][0]["meta"]["attempts_left"] == 0
    # Throttled now (1 s), but the burned challenge answers as such, and counts nothing.
    response = account.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": bad})
    assert response.status_code == 401 and codes_of(response) == ["two_factor_expired"]
    assert live_db.failures(account.user_id) == 5
    # A login without a code is never refused for throttling.
    assert account.login().status_code == 401
    assert codes_of(account.login()) == ["two_factor_required"]
