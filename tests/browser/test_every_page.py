"""Every page of the app, with its error states, in light and dark mode.

The scenarios already audit each page they pass through; this walk adds the
states they do not reach (a wrong password, page 2 out of attempts, an
new set of recovery codes, the step-up and disable pages, a wrong first code at
set-up) so that axe-core and the CSP check see every template in both colour
schemes.
"""

from __future__ import annotations

import pytest

from .browsing import Authenticator

pytestmark = [pytest.mark.browser, pytest.mark.site_env(TWOSTEP_THROTTLE_FACTOR="0")]

LOGIN = "/accounts/login/"
LOGIN_CODE = "/accounts/login/code/"
MAX_ATTEMPTS = 5  # TWOSTEP_CHALLENGE_MAX_ATTEMPTS


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_every_page_and_error_state_passes_axe_and_the_csp(open_browser, people, color_scheme):
    alice = people["alice"]
    app = Authenticator(alice["secret"])
    visitor = open_browser(color_scheme=color_scheme)
    page = visitor.page

    visitor.log_in(alice["username"], "not the password")
    assert visitor.path == LOGIN
    assert page.locator(".twostep-alert[role=alert]").count() == 1

    visitor.log_in(alice["username"], alice["password"])
    assert visitor.path == LOGIN_CODE
    visitor.click(visitor.link("Use a recovery code"))
    visitor.click(visitor.link("Use your authenticator app"))
    for _ in range(MAX_ATTEMPTS):
        visitor.enter_code(app.wrong_code())
    assert visitor.path == LOGIN
    assert page.locator('[data-notice="attempts_exhausted"]').count() == 1

    visitor.log_in(alice["username"], alice["password"])
    visitor.enter_code(app.code())
    assert visitor.path == "/"

    visitor.goto("/accounts/two-factor/")
    visitor.goto("/accounts/two-factor/recovery-codes/")
    visitor.button("Generate new codes").click()  # unticked: the browser holds the form back
    assert page.locator("input[name=confirm]:invalid").count() == 1
    assert visitor.path == "/accounts/two-factor/recovery-codes/"
    visitor.field("I understand that my current recovery codes will stop working.").check()
    visitor.click(visitor.button("Generate new codes"))
    assert page.locator("#twostep-codes code").count() == 10
    visitor.goto("/accounts/two-factor/verify/")
    visitor.enter_code(app.wrong_code(), button="Confirm")
    assert page.locator("input[name=code]").get_attribute("aria-invalid") == "true"
    visitor.goto("/accounts/two-factor/verify/?method=recovery")
    visitor.goto("/accounts/two-factor/totp/disable/")
    visitor.goto("/password/")

    demo = people["demo"]
    newcomer = open_browser(color_scheme=color_scheme)
    newcomer.log_in(demo["username"], demo["password"])
    newcomer.goto("/accounts/two-factor/totp/setup/")
    new_app = Authenticator(newcomer.page.locator("#twostep-secret").inner_text())
    newcomer.enter_code(new_app.wrong_code(), button="Turn on two-step login")
    assert newcomer.page.locator("input[name=code]").get_attribute("aria-invalid") == "true"
    newcomer.goto("/accounts/two-factor/recovery-codes/")  # nothing enrolled yet
