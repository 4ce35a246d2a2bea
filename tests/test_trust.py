"""Trusted browsers: the flow rules, then the cookie through the pages."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.test import Client

from django_twostep import state
from django_twostep.flows import trust
from django_twostep.flows.events import Origin
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import SecurityEvent, TrustedBrowser
from django_twostep.testing import TEST_PASSWORD, current_code, enroll_totp, wrong_code
from tests.pages import error_codes, page1, page2, url

pytestmark = pytest.mark.django_db

COOKIE = state.TRUSTED_COOKIE_NAME


# -- the rules ---------------------------------------------------------------------------


def test_trusting_stores_only_a_digest_and_records_the_event(totp_user):
    trusted = trust.trust_browser(totp_user, origin=Origin("203.0.113.9", "Firefox"))
    row = TrustedBrowser.objects.get()
    assert trusted.token not in repr(TrustedBrowser.objects.values().get())
    assert row.user_agent == "Firefox"
    assert trusted.max_age == 30 * 24 * 3600
    assert SecurityEvent.objects.filter(event="trusted_browser_added", user=totp_user).exists()


def test_token_counts_only_for_its_user(totp_user, django_user_model, twostep_clock):
    other = django_user_model.objects.create_user("mallory", password=TEST_PASSWORD)
    enroll_totp(other)
    token = trust.trust_browser(totp_user).token
    assert trust.use_trusted_browser(other, token) is None
    verification = trust.use_trusted_browser(totp_user, token)
    assert verification.method == "trusted_browser"
    assert verification.device.user_id == totp_user.pk
    assert TrustedBrowser.objects.get().last_used_at is not None


@pytest.mark.parametrize("token", [None, "", 123, "x" * 101, "not-a-token"])
def test_garbage_tokens_are_ignored(totp_user, token):
    trust.trust_browser(totp_user)
    assert trust.use_trusted_browser(totp_user, token) is None


def test_token_dies_with_a_password_change(totp_user):
    token = trust.trust_browser(totp_user).token
    totp_user.set_password("a brand new password")
    totp_user.save()
    assert trust.use_trusted_browser(totp_user, token) is None
    assert not TrustedBrowser.objects.exists()  # void rows are removed
    assert trust.trusted_browsers(totp_user) == []


def test_token_expires_after_remember_days(totp_user, twostep_clock, settings):
    settings.TWOSTEP_REMEMBER_DAYS = 2
    token = trust.trust_browser(totp_user).token
    twostep_clock.advance(2 * 24 * 3600 - 1)
    assert trust.use_trusted_browser(totp_user, token) is not None
    twostep_clock.advance(1)
    assert trust.use_trusted_browser(totp_user, token) is None


def test_remember_days_zero_turns_trust_off(totp_user, settings):
    token = trust.trust_browser(totp_user).token
    settings.TWOSTEP_REMEMBER_DAYS = 0
    assert trust.trust_browser(totp_user) is None
    assert trust.use_trusted_browser(totp_user, token) is None


def test_forget_all_and_disabling_remove_every_browser(totp_user, twostep_clock):
    first = trust.trust_browser(totp_user).token
    trust.trust_browser(totp_user)
    assert len(trust.trusted_browsers(totp_user)) == 2
    assert trust.forget_browsers(totp_user) == 2
    assert trust.use_trusted_browser(totp_user, first) is None
    again = trust.trust_browser(totp_user).token
    totp_flows.disable_totp(totp_user, current_code(totp_user))
    assert trust.use_trusted_browser(totp_user, again) is None
    assert not TrustedBrowser.objects.exists()


# -- through the pages -----------------------------------------------------------------


def trusted_client(user, *, secure=False):
    """A browser that logged in on two pages and ticked "trust this browser"."""
    client = Client()
    client.post(
        url("login"), {"username": user.get_username(), "password": TEST_PASSWORD}, secure=secure
    )
    response = client.post(
        url("login-code"), {"code": current_code(user), "remember": "on"}, secure=secure
    )
    assert response["Location"] == "/"
    client.post(url("logout"), secure=secure)
    return client, response


def test_remember_sets_a_signed_httponly_cookie_for_the_login_pages(totp_user):
    _client, response = trusted_client(totp_user)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert not cookie["secure"]
    assert cookie["path"] == url("login")
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 30 * 24 * 3600
    token = TrustedBrowser.objects.get()
    assert cookie.value and token.digest not in cookie.value


def test_cookie_is_secure_over_https(totp_user):
    _client, response = trusted_client(totp_user, secure=True)
    assert response.cookies[COOKIE]["secure"] is True


def test_trusted_browser_skips_page2(totp_user, twostep_clock):
    client, _ = trusted_client(totp_user)
    response = page1(client, next="/password/")
    assert response["Location"] == "/password/"
    assert client.session[SESSION_KEY] == str(totp_user.pk)
    # Verified for django-otp (the admin, otp_required) ...
    assert client.get("/").context["verified"] is True
    # ... but a sensitive page still asks for a fresh code (step-up).
    assert client.get("/password/")["Location"].startswith(url("verify"))
    assert SecurityEvent.objects.filter(event="verified", method="trusted_browser").count() == 1


def test_cookie_of_another_user_is_ignored(totp_user, django_user_model, twostep_clock):
    mallory = django_user_model.objects.create_user("mallory", password=TEST_PASSWORD)
    enroll_totp(mallory)
    twostep_clock.advance(60)
    client, _ = trusted_client(mallory)
    assert page1(client)["Location"] == url("login-code")
    assert SESSION_KEY not in client.session


def test_tampered_cookie_is_ignored(totp_user):
    client, _ = trusted_client(totp_user)
    value = client.cookies[COOKIE].value
    token, _sep, signature = value.partition(":")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    client.cookies[COOKIE] = f"{flipped}:{signature}"
    assert page1(client)["Location"] == url("login-code")
    # Nor does a correctly signed cookie with a made-up token help.
    forged = signing.get_cookie_signer(salt=COOKIE + "django_twostep.trusted-browser")
    client.cookies[COOKIE] = forged.sign("made-up-token")
    assert page1(client)["Location"] == url("login-code")


def test_cookie_dies_with_a_password_change(totp_user):
    client, _ = trusted_client(totp_user)
    totp_user.set_password(TEST_PASSWORD + "!")
    totp_user.save()
    response = page1(client, password=TEST_PASSWORD + "!")
    assert response["Location"] == url("login-code")


def test_cookie_dies_with_forget_all(totp_user, twostep_clock):
    client, _ = trusted_client(totp_user)
    assert page1(client)["Location"] == "/"  # trusted: logged in on page 1
    assert client.get(url("trusted-browsers-forget")).status_code == 405
    response = client.post(url("trusted-browsers-forget"))
    assert response["Location"] == url("settings")
    assert response.cookies[COOKIE].value == ""  # deleted in this browser
    assert not TrustedBrowser.objects.exists()
    client.post(url("logout"))
    assert page1(client)["Location"] == url("login-code")


def test_forgotten_cookie_kept_by_the_browser_is_ignored(totp_user):
    client, _ = trusted_client(totp_user)
    kept = client.cookies[COOKIE].value
    trust.forget_browsers(totp_user)
    client.cookies[COOKIE] = kept
    assert page1(client)["Location"] == url("login-code")


def test_cookie_dies_when_two_factor_is_disabled(totp_user, twostep_clock):
    client, _ = trusted_client(totp_user)
    kept = client.cookies[COOKIE].value
    twostep_clock.advance(30)
    totp_flows.disable_totp(totp_user, current_code(totp_user))
    twostep_clock.advance(30)
    enroll_totp(totp_user)  # on again, with a new device
    twostep_clock.advance(60)
    client.cookies[COOKIE] = kept
    assert page1(client)["Location"] == url("login-code")


def test_cookie_expires(totp_user, twostep_clock):
    client, _ = trusted_client(totp_user)
    twostep_clock.advance(30 * 24 * 3600 + 1)
    assert page1(client)["Location"] == url("login-code")


def test_remember_days_zero_hides_the_checkbox(client, totp_user, settings):
    settings.TWOSTEP_REMEMBER_DAYS = 0
    page1(client)
    page = client.get(url("login-code"))
    assert "remember" not in page.context["form"].fields
    assert 'name="remember"' not in page.content.decode()
    response = page2(client, current_code(totp_user), remember="on")
    assert COOKIE not in response.cookies
    assert not TrustedBrowser.objects.exists()


def test_wrong_code_with_remember_trusts_nothing(client, totp_user):
    page1(client)
    response = page2(client, wrong_code(totp_user), remember="on")
    assert error_codes(response) == ["invalid_code"]
    assert COOKIE not in response.cookies
    assert not TrustedBrowser.objects.exists()
