"""Security keys and passkeys in a real browser: Chromium's virtual authenticators
(DevTools' WebAuthn domain) stand in for the key, the phone or the laptop's
fingerprint reader, and the page script (django_twostep/webauthn.js) runs the
ceremonies as it does for a person.

WebAuthn refuses an IP address as the relying party's id, so these visitors
browse the live site as ``http://localhost:<port>`` (the server still listens on
127.0.0.1; ``localhost`` is in the example's ``ALLOWED_HOSTS``, and is a secure
context over plain HTTP). Every page is audited with axe-core and checked for
CSP violations and script errors, as in every browser test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .browsing import Hold, VirtualKey, Visitor, on_localhost

pytestmark = pytest.mark.browser

LOGIN = "/accounts/login/"
LOGIN_CODE = "/accounts/login/code/"
SETTINGS = "/accounts/two-factor/"
KEYS = "/accounts/two-factor/webauthn/"
RECOVERY_CODES = "/accounts/two-factor/recovery-codes/"
VERIFY = "/accounts/two-factor/verify/"


@pytest.fixture
def person(open_browser: Callable[..., Visitor]) -> Callable[..., Visitor]:
    """A fresh browser on the site at ``localhost``."""

    def open_one(**options: Any) -> Visitor:
        return on_localhost(open_browser(**options))

    return open_one


def home_says_verified(visitor: Visitor) -> bool:
    assert visitor.path == "/"
    return visitor.page.locator("[data-verified]").get_attribute("data-verified") == "yes"


def add_first_key(visitor: Visitor, name: str) -> list[str]:
    """From the settings page: the key list, a name, the browser's ceremony, and the
    recovery codes of a first method, saved (and returned)."""
    visitor.goto(SETTINGS)
    visitor.click(visitor.link("Add a security key"))
    assert visitor.path == KEYS
    visitor.field("Name").fill(name)
    visitor.click(visitor.button("Add a key"))
    assert visitor.path == RECOVERY_CODES
    codes = visitor.page.locator("#twostep-codes code").all_inner_texts()
    assert len(codes) == 10
    visitor.click(visitor.button("I have saved my codes"))
    assert visitor.path == KEYS
    assert visitor.page.locator(".twostep-key h3").all_inner_texts() == [name]
    return codes


def log_in_with_the_key(visitor: Visitor, username: str, password: str, **checks: Any) -> None:
    """Page 1, then page 2, whose ceremony starts by itself (held back until page 2
    was audited, and ``remember`` ticked if asked)."""
    options = Hold(visitor)("/accounts/login/code/webauthn/options/")
    visitor.log_in(username, password)
    assert visitor.path == LOGIN_CODE
    if checks.get("remember"):
        visitor.page.get_by_label("Trust this browser", exact=False).check()
    with visitor.navigation():
        options.release()


def test_a_security_key_is_added_and_logs_in_on_page_2(person, people):
    demo = people["demo"]
    visitor = person()
    key = VirtualKey(visitor, transport="usb")
    visitor.log_in(demo["username"], demo["password"])
    add_first_key(visitor, "Blue key")
    assert visitor.page.locator("[data-discoverable]").get_attribute("data-discoverable") == "yes"
    assert len(key.credentials()) == 1
    visitor.goto(SETTINGS)
    assert visitor.page.locator("#webauthn [data-state]").get_attribute("data-state") == "on"
    visitor.log_out()

    # Page 2 starts the key's ceremony by itself; the page is audited first.
    options = Hold(visitor)("/accounts/login/code/webauthn/options/")
    visitor.log_in(demo["username"], demo["password"])
    assert visitor.path == LOGIN_CODE
    assert visitor.button("Use your security key").is_visible()
    assert visitor.page.locator("input[name=code]").count() == 0  # a key and recovery codes
    assert visitor.link("Use a recovery code").is_visible()
    with visitor.navigation():
        options.release()
    assert home_says_verified(visitor)
    assert key.credentials()[0]["signCount"] >= 1

    # When the ceremony that starts by itself fails, page 2 says so and its button
    # tries again.
    visitor.log_out()
    options = Hold(visitor)("/accounts/login/code/webauthn/options/")
    visitor.log_in(demo["username"], demo["password"])
    options.fail()
    failed = visitor.page.locator('[data-webauthn-error="failed"]')
    failed.wait_for(state="visible")
    assert failed.get_attribute("role") == "alert"
    visitor.audit()
    visitor.click(visitor.button("Use your security key"))
    assert home_says_verified(visitor)


def test_a_passkey_on_a_security_key_logs_in_from_page_1_with_the_button(person, people):
    demo = people["demo"]
    visitor = person()
    key = VirtualKey(visitor, transport="usb")
    visitor.log_in(demo["username"], demo["password"])
    add_first_key(visitor, "Keyring")
    visitor.log_out()

    visitor.goto(LOGIN + "?next=/password/")
    username = visitor.field("Username")
    assert username.get_attribute("autocomplete") == "username webauthn"
    visitor.click(visitor.button("Log in with a passkey"))
    # Two factors at once, and fresh: the password page opens without step-up.
    assert visitor.path == "/password/"
    visitor.goto("/")
    assert home_says_verified(visitor)
    assert key.credentials()[0]["signCount"] >= 1


def test_a_passkey_is_offered_in_the_username_autofill(person, people):
    """Conditional UI: the page asks for a passkey with mediation "conditional" as it
    loads; the laptop's own authenticator (Chromium's virtual one picks its passkey
    for the field at once) answers, and the person is logged in, no button pressed."""
    demo = people["demo"]
    visitor = person()
    VirtualKey(visitor, transport="internal")
    visitor.log_in(demo["username"], demo["password"])
    add_first_key(visitor, "This laptop")
    visitor.log_out()

    options = Hold(visitor)("/accounts/login/passkey/options/")
    visitor.goto(LOGIN)
    assert visitor.field("Username").get_attribute("autocomplete") == "username webauthn"
    with visitor.navigation():
        options.release()
    assert home_says_verified(visitor)


def test_step_up_with_the_key_then_removing_it(person, people):
    demo = people["demo"]
    visitor = person()
    key = VirtualKey(visitor, transport="usb")
    page = visitor.page
    visitor.log_in(demo["username"], demo["password"])
    add_first_key(visitor, "Blue key")
    visitor.log_out()

    # A key login that trusts this browser; the next login skips page 2, so its
    # session has no fresh second factor.
    log_in_with_the_key(visitor, demo["username"], demo["password"], remember=True)
    assert home_says_verified(visitor)
    visitor.log_out()
    visitor.log_in(demo["username"], demo["password"])
    assert visitor.path == "/"

    # Adding another key asks to confirm it is you first; the key confirms it.
    visitor.goto(KEYS)
    visitor.click(visitor.link("Confirm it is you"))
    assert visitor.path == VERIFY
    assert page.locator("input[name=code]").count() == 0  # a key and recovery codes only
    visitor.click(visitor.button("Use your security key"))
    assert visitor.path == KEYS
    # The same key again: the browser says so, and the page shows it.
    visitor.field("Name").fill("Blue key again")
    visitor.button("Add a key").click()
    exists = page.locator('[data-webauthn-error="exists"]')
    exists.wait_for(state="visible")
    assert exists.get_attribute("role") == "alert"
    visitor.audit()
    assert len(key.credentials()) == 1

    # Removing it: step-up again once the grace is over (a trusted login is not
    # fresh: log in through it again), then a confirmation.
    visitor.log_out()
    visitor.log_in(demo["username"], demo["password"])
    visitor.goto(KEYS)
    visitor.click(visitor.link("Remove"))
    assert visitor.path == VERIFY
    visitor.click(visitor.button("Use your security key"))
    assert visitor.path.startswith(KEYS) and visitor.path.endswith("/remove/")
    visitor.click(visitor.button("Remove"))
    assert visitor.path == KEYS
    assert page.locator(".twostep-key").count() == 0
    assert page.locator(".twostep-message.twostep-disabled").count() == 1
    visitor.goto(SETTINGS)
    assert page.locator("#webauthn [data-state]").get_attribute("data-state") == "off"


# No back-off after the refused key: the recovery code follows at once (no test waits).
@pytest.mark.site_env(TWOSTEP_THROTTLE_FACTOR="0")
def test_a_cloned_key_with_a_lower_counter_is_refused(person, people):
    demo = people["demo"]
    visitor = person()
    key = VirtualKey(visitor, transport="usb")
    page = visitor.page
    visitor.log_in(demo["username"], demo["password"])
    codes = add_first_key(visitor, "Blue key")
    visitor.log_out()
    log_in_with_the_key(visitor, demo["username"], demo["password"])
    assert home_says_verified(visitor)
    visitor.log_out()

    # The key's secret, copied onto another authenticator whose counter is behind.
    original = key.credentials()[0]
    assert original["signCount"] >= 1
    key.unplug()
    key.plug_in_copy(original, signCount=0)
    log_in_with_the_key(visitor, demo["username"], demo["password"])
    assert visitor.path == LOGIN_CODE
    alert = page.locator(".twostep-form .twostep-alert[role=alert]")
    assert "could not be verified" in alert.inner_text()
    assert page.locator("[data-autostart]").count() == 0  # no second try by itself

    visitor.click(visitor.link("Use a recovery code"))
    visitor.enter_code(codes[0])
    assert home_says_verified(visitor)
    visitor.goto(SETTINGS)
    assert page.locator('[data-event="webauthn_counter_regressed"]').count() == 1


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_every_security_key_page_passes_axe_and_the_csp(person, people, color_scheme):
    """The states the scenarios above do not stop on, in both colour schemes: the empty
    list, page 1's passkey button and its failure, page 2 and step-up with a key."""
    demo = people["demo"]
    visitor = person(color_scheme=color_scheme)
    key = VirtualKey(visitor, transport="usb")
    page = visitor.page
    visitor.log_in(demo["username"], demo["password"])
    visitor.goto(KEYS)
    assert page.locator(".twostep-key").count() == 0
    assert visitor.button("Add a key").is_visible()
    assert page.locator("[data-webauthn-unsupported]").is_hidden()
    add_first_key(visitor, "Blue key")
    visitor.goto(SETTINGS)
    visitor.goto(VERIFY + "?next=/password/")
    assert visitor.button("Use your security key").is_visible()
    visitor.goto(VERIFY + "?method=recovery")
    visitor.log_out()

    # A passkey login needs user verification: without it, the browser refuses, and
    # page 1 says so.
    visitor.goto(LOGIN)
    key.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": key.id, "isUserVerified": False})
    visitor.button("Log in with a passkey").click()
    failed = page.locator('[data-webauthn-error="failed"]')
    failed.wait_for(state="visible")
    visitor.audit()
    assert visitor.path == LOGIN
    key.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": key.id, "isUserVerified": True})
    log_in_with_the_key(visitor, demo["username"], demo["password"])
    assert home_says_verified(visitor)
