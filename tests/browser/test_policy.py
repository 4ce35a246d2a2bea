"""``TWOSTEP_REQUIRED="staff"`` in a real browser: staff are taken to set-up first."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from .browsing import Authenticator, Visitor

pytestmark = [pytest.mark.browser, pytest.mark.site_env(TWOSTEP_REQUIRED="staff")]

SETUP = "/accounts/two-factor/totp/setup/"


def test_a_staff_user_is_taken_to_set_up_and_reaches_nothing_else_until_enrolled(
    visitor: Visitor, people
):
    sam = people["sam"]
    page = visitor.page
    visitor.log_in(sam["username"], sam["password"])
    assert visitor.path == SETUP

    for elsewhere in ("/", "/password/", "/admin/"):
        visitor.goto(elsewhere)
        assert visitor.path == SETUP, elsewhere
        assert parse_qs(visitor.query)["next"] == [elsewhere]

    # The app's own pages stay reachable, and say why set-up is needed.
    visitor.goto("/accounts/two-factor/")
    assert page.locator('[data-notice="not_enrolled"]').count() == 1

    visitor.goto("/admin/")
    app = Authenticator(page.locator("#twostep-secret").inner_text())
    visitor.field("Code").fill(app.code())
    visitor.click(visitor.button("Turn on two-step login"))
    assert visitor.path == "/accounts/two-factor/recovery-codes/"
    visitor.click(visitor.button("I have saved my codes"))

    # Enrolled and verified: back where they were going, and everywhere else.
    assert visitor.path == "/admin/"
    assert page.locator("#site-name").count() == 1
    visitor.goto("/")
    assert page.locator("[data-verified]").get_attribute("data-verified") == "yes"


def test_the_staff_policy_leaves_other_users_alone(visitor: Visitor, people):
    demo = people["demo"]
    visitor.log_in(demo["username"], demo["password"])
    assert visitor.path == "/"
    visitor.goto("/password/")
    assert visitor.path == "/password/"
