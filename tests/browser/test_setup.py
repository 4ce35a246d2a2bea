"""Setting up an authenticator app in a real browser, as a person does it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.optional import decode_qr

from .browsing import Authenticator, Visitor

pytestmark = pytest.mark.browser

SETUP = "/accounts/two-factor/totp/setup/"
RECOVERY_CODES = "/accounts/two-factor/recovery-codes/"
SETTINGS = "/accounts/two-factor/"


def test_a_new_user_sets_up_an_app_saves_recovery_codes_and_logs_in_on_two_pages(
    visitor: Visitor, people
):
    demo = people["demo"]
    page = visitor.page

    # Without two-step login, the password alone logs in.
    visitor.goto("/")
    visitor.click(visitor.link("Log in"))
    visitor.log_in(demo["username"], demo["password"])
    assert visitor.path == "/"
    assert page.locator("#two-factor-state [data-state]").get_attribute("data-state") == "off"

    visitor.click(visitor.link("Two-step login"))
    assert visitor.path == SETTINGS
    assert page.locator("#totp [data-state]").get_attribute("data-state") == "off"

    # Set-up: the key typed into the app by hand, the app's code typed back.
    visitor.click(visitor.link("Set up"))
    assert visitor.path == SETUP
    secret = page.locator("#twostep-secret").inner_text()
    otpauth = page.locator("a[data-otpauth]").get_attribute("href")
    assert parse_qs(urlsplit(otpauth).query)["secret"] == [secret.replace(" ", "")]
    app = Authenticator(secret)
    visitor.field("Code").fill(app.code())
    visitor.click(visitor.button("Turn on two-step login"))

    # The recovery codes, shown once, and the same codes as a text file.
    assert visitor.path == RECOVERY_CODES
    assert page.locator(".twostep-message.twostep-enabled").count() == 1
    shown = page.locator("#twostep-codes code").all_inner_texts()
    assert len(shown) == 10
    assert len(set(shown)) == 10
    with page.expect_download() as download_info:
        visitor.link("Download as a text file").click()
    download = download_info.value
    assert download.suggested_filename == "recovery-codes.txt"
    text = Path(download.path()).read_text()
    assert "demo" in text.splitlines()[0]
    lines = [line.strip() for line in text.splitlines()]
    assert [line for line in lines if line in shown] == shown

    visitor.click(visitor.button("I have saved my codes"))
    assert visitor.path == SETTINGS
    assert page.locator("#totp [data-state]").get_attribute("data-state") == "on"
    assert page.locator("#recovery-codes [data-remaining]").get_attribute("data-remaining") == "10"

    # Log out, then log in on two pages.
    visitor.log_out()
    assert page.locator("#who").inner_text() == "Nobody is logged in."
    visitor.log_in(demo["username"], demo["password"])
    assert visitor.path == "/accounts/login/code/"
    assert page.locator(".twostep-nav").count() == 0  # nobody is logged in between the pages
    assert visitor.focused()["name"] == "code"
    visitor.enter_code(app.code())
    assert visitor.path == "/"
    assert page.locator("[data-verified]").get_attribute("data-verified") == "yes"
    assert "demo" in page.locator("#who").inner_text()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_qr_code_as_shown_scans_to_the_otpauth_uri_and_activates_the_app(
    open_browser, people, color_scheme
):
    visitor = open_browser(color_scheme=color_scheme)
    demo = people["demo"]
    visitor.log_in(demo["username"], demo["password"])
    visitor.goto(SETUP)
    page = visitor.page

    # What the screen shows, as a phone's camera would see it.
    scanned = decode_qr(page.locator("#twostep-qr").screenshot())
    otpauth = page.locator("a[data-otpauth]").get_attribute("href")
    assert scanned == [otpauth]
    assert otpauth.startswith("otpauth://totp/")

    # The app that scanned it holds the key shown for typing, and its code works.
    app = Authenticator.from_uri(scanned[0])
    assert app.totp.secret == page.locator("#twostep-secret").inner_text().replace(" ", "")
    visitor.field("Code").fill(app.code())
    visitor.click(visitor.button("Turn on two-step login"))
    assert visitor.path == RECOVERY_CODES


# No back-off after the wrong code: the right one follows within the second the
# back-off would impose, and no test waits (the back-off has its own tests).
@pytest.mark.site_env(TWOSTEP_THROTTLE_FACTOR="0")
def test_turning_two_step_login_off_needs_a_code(visitor: Visitor, people):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    visitor.log_in(alice["username"], alice["password"])
    visitor.enter_code(app.code())
    visitor.goto(SETTINGS)
    visitor.click(visitor.link("Turn off"))
    assert visitor.path == "/accounts/two-factor/totp/disable/"

    visitor.enter_code(app.wrong_code(), button="Turn off")
    assert visitor.path == "/accounts/two-factor/totp/disable/"
    assert visitor.page.locator("input[name=code]").get_attribute("aria-invalid") == "true"

    visitor.enter_code(app.code(), button="Turn off")
    assert visitor.path == SETTINGS
    assert visitor.page.locator("#totp [data-state]").get_attribute("data-state") == "off"
