"""Step-up on the example site's change-password page, in a real browser."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from .browsing import Authenticator, Visitor

pytestmark = pytest.mark.browser

VERIFY = "/accounts/two-factor/verify/"


def test_changing_the_password_asks_for_a_fresh_code_then_forgets_trusted_browsers(
    visitor: Visitor, people
):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    page = visitor.page

    # A trusted browser logs in without a code, so its session has no fresh code.
    visitor.log_in(alice["username"], alice["password"])
    visitor.enter_code(app.code(), remember=True)
    visitor.log_out()
    visitor.log_in(alice["username"], alice["password"])
    assert visitor.path == "/"

    visitor.click(visitor.link("Change your password"))
    assert visitor.path == VERIFY
    assert parse_qs(visitor.query)["next"] == ["/password/"]
    assert visitor.focused()["name"] == "code"
    visitor.enter_code(app.code(), button="Confirm")

    assert visitor.path == "/password/"
    new_password = "a brand new passphrase 42"
    visitor.field("Old password").fill(alice["password"])
    visitor.field("New password").fill(new_password)
    visitor.field("New password confirmation").fill(new_password)
    visitor.click(visitor.button("Change password"))
    assert visitor.path == "/"
    assert page.locator(".twostep-message.password_changed").count() == 1

    # Fresh for the grace period: the page opens without another code.
    visitor.goto("/password/")
    assert visitor.path == "/password/"

    # The new password voided the trusted browser: page 2 again.
    visitor.log_out()
    visitor.log_in(alice["username"], new_password)
    assert visitor.path == "/accounts/login/code/"
