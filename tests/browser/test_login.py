"""The two-page login in a real browser: codes, errors, trusted browsers, the keyboard."""

from __future__ import annotations

import pytest

from .browsing import Authenticator, Visitor

pytestmark = pytest.mark.browser

LOGIN = "/accounts/login/"
LOGIN_CODE = "/accounts/login/code/"
SETTINGS = "/accounts/two-factor/"


def verified(visitor: Visitor) -> bool:
    """The example's home page says whether the session passed a second factor."""
    assert visitor.path == "/"
    return visitor.page.locator("[data-verified]").get_attribute("data-verified") == "yes"


# No back-off after the wrong code: the right one follows within the second the
# back-off would impose, and no test waits (the back-off has its own tests).
@pytest.mark.site_env(TWOSTEP_THROTTLE_FACTOR="0")
def test_a_wrong_code_is_shown_next_to_the_field_and_focus_returns_to_it(visitor: Visitor, people):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    visitor.log_in(alice["username"], alice["password"])
    assert visitor.path == LOGIN_CODE

    visitor.enter_code(app.wrong_code())
    assert visitor.path == LOGIN_CODE
    code = visitor.page.locator("input[name=code]")
    assert code.get_attribute("aria-invalid") == "true"
    assert code.input_value() == ""  # the refused code is not echoed back
    described_by = (code.get_attribute("aria-describedby") or "").split()
    errors = [
        f"#{element_id}"
        for element_id in described_by
        if "errorlist" in (visitor.page.locator(f"#{element_id}").get_attribute("class") or "")
    ]
    assert len(errors) == 1, described_by
    error = visitor.page.locator(errors[0])
    assert error.is_visible()
    assert error.inner_text().strip()
    # Next to the field: in the field's own block, right after the input and its help.
    assert code.evaluate(
        "(input, error) => input.closest('.twostep-field').contains(error)", error.element_handle()
    )
    assert visitor.focused()["name"] == "code"

    visitor.enter_code(app.code())
    assert verified(visitor)


def test_trusting_this_browser_skips_page_two_next_time(open_browser, people):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    laptop = open_browser()
    laptop.log_in(alice["username"], alice["password"])
    laptop.enter_code(app.code(), remember=True)
    assert verified(laptop)
    laptop.log_out()

    loads = len(laptop.documents)
    laptop.log_in(alice["username"], alice["password"])
    assert laptop.path == "/"
    assert not any("/login/code/" in url for url in laptop.documents[loads:])
    assert verified(laptop)
    laptop.goto(SETTINGS)
    assert laptop.page.locator(".twostep-trusted-browser").count() == 1

    # Another browser is not trusted: it gets page 2.
    other = open_browser()
    other.log_in(alice["username"], alice["password"])
    assert other.path == LOGIN_CODE


def test_a_recovery_code_logs_in_once(open_browser, people):
    alice = people["alice"]
    recovery_code = alice["recovery_codes"][0]
    visitor = open_browser()
    visitor.log_in(alice["username"], alice["password"])
    visitor.click(visitor.link("Use a recovery code"))
    assert visitor.path == LOGIN_CODE
    assert visitor.query == "method=recovery"
    assert visitor.focused()["name"] == "code"
    visitor.field("Recovery code").fill(recovery_code)
    visitor.click(visitor.button("Log in"))
    assert verified(visitor)
    visitor.goto(SETTINGS)
    assert visitor.page.locator("[data-remaining]").get_attribute("data-remaining") == "9"
    assert visitor.page.locator('[data-event="recovery_code_used"]').count() == 1

    # Used once, it is refused the next time.
    again = open_browser()
    again.log_in(alice["username"], alice["password"])
    again.click(again.link("Use a recovery code"))
    again.enter_code(recovery_code)
    assert again.path == LOGIN_CODE
    assert again.page.locator("input[name=code]").get_attribute("aria-invalid") == "true"


def test_the_whole_login_works_with_the_keyboard_alone(visitor: Visitor, people):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    keyboard = visitor.page.keyboard
    visitor.goto("/")

    for _ in range(10):  # the skip link, the site's name, then "Log in"
        keyboard.press("Tab")
        if visitor.focused()["text"] == "Log in":
            break
    else:
        pytest.fail("Tab never reached the Log in link")
    with visitor.navigation():
        keyboard.press("Enter")

    assert visitor.path == LOGIN
    assert visitor.focused()["name"] == "username"  # autofocus
    keyboard.type(alice["username"])
    keyboard.press("Tab")
    assert visitor.focused()["name"] == "password"
    keyboard.type(alice["password"])
    with visitor.navigation():
        keyboard.press("Enter")

    assert visitor.path == LOGIN_CODE
    assert visitor.focused()["name"] == "code"  # autofocus
    keyboard.type(app.code())
    keyboard.press("Tab")
    assert visitor.focused() | {"text": ""} == {
        "tag": "input",
        "id": "id_remember",
        "name": "remember",
        "type": "checkbox",
        "text": "",
    }
    keyboard.press("Space")
    keyboard.press("Tab")
    assert visitor.focused()["tag"] == "button"
    with visitor.navigation():
        keyboard.press("Enter")

    assert verified(visitor)
    visitor.goto(SETTINGS)
    assert visitor.page.locator(".twostep-trusted-browser").count() == 1
