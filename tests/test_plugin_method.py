"""A method added through ``TWOSTEP_METHODS`` alone (tests/plugin_method.py): the
registry offers it at login on both faces, checks its codes under the back-off,
and drops it when it is not configured."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.models import UserThrottle
from django_twostep.testing import TEST_PASSWORD

from .pages import page1, page2
from .plugin_method import BUILT_IN, WITH_PIN, give_pin

pytestmark = pytest.mark.django_db

PIN = "48151623"
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
