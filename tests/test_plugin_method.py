"""A method added through ``TWOSTEP_METHODS`` alone (tests/plugin_method.py): the
registry offers it at login on both faces, checks its codes under the back-off,
and drops it when it is not configured.

The page tests of the whole life of such a method (the settings card, page 2,
step-up, its removal, attacks) are below; their API twin, with the same test
names, is tests/api/test_plugin_method.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from rest_framework.test import APIClient

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import RecoveryCode, RecoveryCodeDevice, UserThrottle
from django_twostep.testing import TEST_PASSWORD, login_verified

from .pages import error_codes, page1, page2, url
from .plugin_method import BUILT_IN, PIN, WITH_PIN, WRONG_PIN, give_pin

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
TWO_FACTOR = "/api/v1/auth/two-factor"


@pytest.fixture
def pin_user(plain_user, twostep_clock):
    give_pin(plain_user, PIN)
    return plain_user


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_plugged_in_method_completes_an_api_login(pin_user):
    api = APIClient()
    response = api.post(LOGIN, {"username": "bob", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 401
    meta = response.json()["meta"]
    assert meta["methods"] == ["pin"]
    response = api.post(
        TWO_FACTOR, {"two_factor_id": meta["two_factor_id"], "code": PIN, "method": "pin"}
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_plugged_in_method_completes_an_html_login(pin_user):
    client = Client()
    assert page1(client, "bob")["Location"] == "/accounts/login/code/"
    response = page2(client, PIN)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(pin_user.pk)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_wrong_pin_counts_for_the_back_off(pin_user, twostep_clock):
    with pytest.raises(FlowError, match="invalid_code"):
        flows.verify_second_factor(pin_user, "00000000")
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    twostep_clock.advance(1)  # the back-off's first wait
    assert flows.verify_second_factor(pin_user, PIN).method == "pin"


@override_settings(TWOSTEP_METHODS=BUILT_IN)
def test_a_method_not_configured_is_not_offered_nor_checked(pin_user):
    assert flows.active_methods(pin_user) == []
    api = APIClient()
    response = api.post(LOGIN, {"username": "bob", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200  # no method: logged in with the password alone


@override_settings(TWOSTEP_METHODS=BUILT_IN[1:])
def test_a_built_in_method_can_be_dropped(totp_user):
    assert flows.active_methods(totp_user) == []
    response = APIClient().post(
        LOGIN, {"username": "alice", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200


# -- the whole life of a plugged-in method, on the pages ---------------------------------

GRACE = 1800  # TWOSTEP_STEP_UP_GRACE's default
SHARED = "django_twostep/method/"


@pytest.fixture
def recovery_codes(pin_user) -> list[str]:
    return recovery_flows.generate_recovery_codes(pin_user)


def templates_used(response) -> set[str]:
    return {template.name for template in response.templates}


def card(response, name: str) -> str | None:
    """The settings page's card of method ``name`` (its HTML), or None."""
    found = re.search(
        rf'<section class="twostep-card"[^>]*\bid="{name}">(.*?)</section>',
        response.content.decode(),
        re.S,
    )
    return found.group(1) if found else None


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def remove_url(name: str) -> str:
    return reverse("twostep:method-remove", args=[name])


def verify_url(next_url: str) -> str:
    return f"{url('verify')}?{urlencode({'next': next_url})}"


def assert_sent_to_step_up(response, back_to: str) -> None:
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == url("verify")
    assert parse_qs(parts.query)["next"] == [back_to]


def pin_rows(user) -> tuple[int, int]:
    """The user's PIN devices and PIN tokens in the database."""
    return (
        StaticDevice.objects.filter(user=user).count(),
        StaticToken.objects.filter(device__user=user).count(),
    )


def recovery_rows(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def recovery_digests(user) -> set[str]:
    return set(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_is_listed_with_its_state(pin_user, totp_user):
    response = login_verified(Client(), pin_user).get(url("settings"))
    assert response.status_code == 200
    assert SHARED + "settings_card.html" in templates_used(response)
    html = card(response, "pin")
    assert html is not None and ">PIN<" in html  # its label, from the method class
    assert 'data-state="on"' in html and 'data-state="off"' not in html
    assert links(html) == [remove_url("pin")]

    # A user without it sees the same card, off, with nothing to remove.
    html = card(login_verified(Client(), totp_user).get(url("settings")), "pin")
    assert html is not None and 'data-state="off"' in html and 'data-state="on"' not in html
    assert remove_url("pin") not in links(html)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_is_offered_on_the_code_step(pin_user):
    client = Client()
    assert page1(client, "bob")["Location"] == url("login-code")
    response = client.get(url("login-code"))
    assert response.status_code == 200
    assert SHARED + "login_hint.html" in templates_used(response)
    assert [method.name for method in response.context["hints"]] == ["pin"]
    assert response.context["methods"] == ["pin"]


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_completes_a_login(pin_user):
    client = Client()
    assert page1(client, "bob")["Location"] == url("login-code")
    response = page2(client, PIN)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(pin_user.pk)
    # The session is verified for django-otp by the PIN's device.
    device = StaticDevice.objects.get(user=pin_user)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_passes_step_up(pin_user, twostep_clock):
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)
    response = client.get("/password/")
    assert response["Location"] == verify_url("/password/")

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert SHARED + "verify_hint.html" in templates_used(page)
    back = client.post(response["Location"], {"code": PIN})
    assert back.status_code == 302 and back["Location"] == "/password/"
    assert client.get("/password/").status_code == 200


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_passes_step_up_for_new_recovery_codes(pin_user, recovery_codes, twostep_clock):
    before = recovery_digests(pin_user)
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)
    regenerate = url("recovery-codes")
    assert_sent_to_step_up(client.post(regenerate, {"confirm": "on"}), regenerate)
    assert recovery_digests(pin_user) == before

    back = client.post(verify_url(regenerate), {"code": PIN})
    assert back.status_code == 302 and back["Location"] == regenerate
    response = client.post(regenerate, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == regenerate  # shown there once
    after = recovery_digests(pin_user)
    assert len(after) == len(before) and not after & before


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_wrong_pin_does_not_pass_step_up(pin_user, twostep_clock):
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)
    response = client.post(verify_url("/password/"), {"code": WRONG_PIN})
    assert response.status_code == 200 and error_codes(response) == ["invalid_code"]
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    assert client.get("/password/")["Location"] == verify_url("/password/")


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_needs_step_up(pin_user, recovery_codes, twostep_clock):
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)  # the session's step-up is stale
    remove = remove_url("pin")
    assert_sent_to_step_up(client.get(remove), remove)
    assert_sent_to_step_up(client.post(remove), remove)
    assert pin_rows(pin_user) == (1, 1)
    assert flows.active_methods(pin_user) == ["pin"]

    back = client.post(verify_url(remove), {"code": PIN})
    assert back.status_code == 302 and back["Location"] == remove
    page = client.get(remove)
    assert page.status_code == 200 and page.context["method"].name == "pin"
    response = client.post(remove)
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert pin_rows(pin_user) == (0, 0)
    assert flows.active_methods(pin_user) == []
    # It was the user's last method: the recovery codes went with it.
    assert recovery_rows(pin_user) == 0
    assert not RecoveryCodeDevice.objects.filter(user=pin_user).exists()


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_takes_a_recovery_code_as_step_up(pin_user, recovery_codes, twostep_clock):
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)
    remove = remove_url("pin")
    back = client.post(verify_url(remove) + "&method=recovery", {"code": recovery_codes[0]})
    assert back.status_code == 302 and back["Location"] == remove
    response = client.post(remove)
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert pin_rows(pin_user) == (0, 0)
    assert recovery_rows(pin_user) == 0


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_with_a_wrong_pin_removes_nothing(pin_user, recovery_codes, twostep_clock):
    client = login_verified(Client(), pin_user)
    twostep_clock.advance(GRACE)
    remove = remove_url("pin")
    response = client.post(verify_url(remove), {"code": WRONG_PIN})
    assert response.status_code == 200 and error_codes(response) == ["invalid_code"]
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    assert_sent_to_step_up(client.post(remove), remove)
    assert pin_rows(pin_user) == (1, 1)
    assert recovery_rows(pin_user) == len(recovery_codes)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_keeps_the_recovery_codes_beside_another_method(
    pin_user, recovery_codes, twostep_clock
):
    from django_twostep.testing import enroll_totp

    enroll_totp(pin_user)
    client = login_verified(Client(), pin_user)
    response = client.post(remove_url("pin"))
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert pin_rows(pin_user) == (0, 0)
    assert flows.active_methods(pin_user) == ["totp"]
    assert recovery_rows(pin_user) == len(recovery_codes)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_wrong_pin_on_the_code_step_counts_for_the_back_off(pin_user, twostep_clock):
    client = Client()
    page1(client, "bob")
    response = page2(client, WRONG_PIN)
    assert response.status_code == 200 and error_codes(response) == ["invalid_code"]
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    # Inside the back-off's first wait even the right PIN is refused, unchecked.
    throttled = page2(client, PIN)
    assert throttled.status_code == 429 and error_codes(throttled) == ["too_many_attempts"]
    assert "_auth_user_id" not in client.session
    twostep_clock.advance(1)
    assert page2(client, PIN).status_code == 302
    assert client.session["_auth_user_id"] == str(pin_user.pk)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_the_recovery_codes_are_not_removed_on_their_own(pin_user, recovery_codes):
    client = login_verified(Client(), pin_user)
    for method in ("get", "post"):
        response = getattr(client, method)(remove_url("recovery_code"))
        assert response.status_code == 404
    assert recovery_rows(pin_user) == len(recovery_codes)
    assert pin_rows(pin_user) == (1, 1)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_an_unknown_method_cannot_be_removed(pin_user):
    client = login_verified(Client(), pin_user)
    assert client.post(remove_url("nope")).status_code == 404
    assert pin_rows(pin_user) == (1, 1)


@override_settings(TWOSTEP_METHODS=BUILT_IN)
def test_without_the_setting_it_is_neither_offered_nor_removable(pin_user):
    client = Client()
    response = page1(client, "bob")
    assert response.status_code == 302 and response["Location"] != url("login-code")
    assert client.session["_auth_user_id"] == str(pin_user.pk)  # the password alone
    assert card(client.get(url("settings")), "pin") is None
    remove = remove_url("pin")
    assert remove == "/accounts/two-factor/methods/pin/remove/"
    assert client.get(remove).status_code == 404
    assert client.post(remove).status_code == 404
    assert pin_rows(pin_user) == (1, 1)
