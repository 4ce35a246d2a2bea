"""The API twin of the page tests of tests/test_plugin_method.py (same test names): a
method added through ``TWOSTEP_METHODS`` alone (tests/plugin_method.py) is listed,
offered at login, completes a login, passes step-up, needs step-up to be removed,
and is gone when it is not configured.
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from rest_framework.test import APIClient

from django_twostep import clock, flows
from django_twostep.flows import tokens
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import ApiToken, RecoveryCode, RecoveryCodeDevice, UserThrottle
from django_twostep.testing import TEST_PASSWORD, enroll_totp
from tests.plugin_method import BUILT_IN, PIN, WITH_PIN, WRONG_PIN, give_pin

from .conftest import LOGIN, PASSWORD, TWO_FACTOR, bearer, codes, error, recovery_url

pytestmark = pytest.mark.django_db

GRACE = 1800  # TWOSTEP_STEP_UP_GRACE's default
METHODS = "/api/v1/users/me/methods"
NEW_PASSWORD = "a completely new passphrase"
CHANGE = {"password": TEST_PASSWORD, "new_password": NEW_PASSWORD}


def method_url(name: str) -> str:
    return f"{METHODS}/{name}"


@pytest.fixture
def pin_user(plain_user, twostep_clock):
    give_pin(plain_user, PIN)
    return plain_user


@pytest.fixture
def recovery_codes(pin_user) -> list[str]:
    return recovery_flows.generate_recovery_codes(pin_user)


def fresh_api(user) -> APIClient:
    """A client whose token passed a second factor just now."""
    return bearer(APIClient(), tokens.issue_tokens(user, verified_at=clock.now()).access_token)


def stale_api(user, twostep_clock) -> APIClient:
    """A client whose token passed a second factor longer ago than the grace."""
    client = fresh_api(user)
    twostep_clock.advance(GRACE)
    return client


def token_of(client: APIClient) -> ApiToken:
    raw = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    return tokens.authenticate_access_token(raw)


def listed(client: APIClient) -> dict[str, dict]:
    response = client.get(METHODS)
    assert response.status_code == 200, response.content
    return {method["name"]: method for method in response.json()["methods"]}


def pin_rows(user) -> tuple[int, int]:
    """The user's PIN devices and PIN tokens in the database."""
    return (
        StaticDevice.objects.filter(user=user).count(),
        StaticToken.objects.filter(device__user=user).count(),
    )


def recovery_rows(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def password_login(api: APIClient, **extra) -> object:
    data = {"username": "bob", "password": TEST_PASSWORD, **extra}
    return api.post(LOGIN, data, format="json")


def assert_code(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert codes(response) == [code]


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_is_listed_with_its_state(pin_user, totp_user):
    pin = listed(fresh_api(pin_user))["pin"]
    assert pin == {
        "name": "pin",
        "label": "PIN",
        "kind": "code",
        "backup": False,
        "active": True,
        "pending": False,
    }
    # A user without it sees it listed, off.
    assert listed(fresh_api(totp_user))["pin"]["active"] is False


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_is_offered_on_the_code_step(pin_user):
    response = password_login(APIClient())
    assert response.status_code == 401
    meta = response.json()["meta"]
    assert meta["methods"] == ["pin"]
    assert meta["two_factor_id"]


@override_settings(TWOSTEP_METHODS=WITH_PIN)
@pytest.mark.parametrize("how", ["one request", "two requests", "two requests, method named"])
def test_it_completes_a_login(pin_user, how):
    api = APIClient()
    if how == "one request":
        response = password_login(api, code=PIN)
    else:
        meta = password_login(api).json()["meta"]
        data = {"two_factor_id": meta["two_factor_id"], "code": PIN}
        if how.endswith("method named"):
            data["method"] = "pin"
        response = api.post(TWO_FACTOR, data, format="json")
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["token_type"] == "Bearer"
    # The token passed a second factor: it is fresh for step-up.
    token = tokens.authenticate_access_token(payload["access_token"])
    assert token.user_id == pin_user.pk and token.verified_at == clock.now()


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_passes_step_up(pin_user, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    assert_code(api.patch(PASSWORD, CHANGE, format="json"), 403, "mfa_code_missing")
    response = api.patch(PASSWORD, CHANGE, format="json", HTTP_X_MFA_CODE=PIN)
    assert response.status_code == 204, response.content
    pin_user.refresh_from_db()
    assert pin_user.check_password(NEW_PASSWORD)
    assert token_of(api).verified_at == clock.now()  # the PIN restarted the grace


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_it_passes_step_up_for_new_recovery_codes(pin_user, recovery_codes, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    assert_code(api.post(recovery_url()), 403, "mfa_code_missing")
    response = api.post(recovery_url(), HTTP_X_MFA_CODE=PIN)
    assert response.status_code == 201, response.content
    fresh = response.json()["codes"]
    assert len(fresh) == len(recovery_codes) and not set(fresh) & set(recovery_codes)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_wrong_pin_does_not_pass_step_up(pin_user, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    response = api.patch(PASSWORD, CHANGE, format="json", HTTP_X_MFA_CODE=WRONG_PIN)
    assert_code(response, 403, "mfa_code_invalid")
    assert error(response)["source"] == {"header": "X-MFA-Code"}
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    pin_user.refresh_from_db()
    assert pin_user.check_password(TEST_PASSWORD)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_needs_step_up(pin_user, recovery_codes, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    assert_code(api.delete(method_url("pin")), 403, "mfa_code_missing")
    assert pin_rows(pin_user) == (1, 1)
    assert flows.active_methods(pin_user) == ["pin"]

    assert api.delete(method_url("pin"), HTTP_X_MFA_CODE=PIN).status_code == 204
    assert pin_rows(pin_user) == (0, 0)
    assert flows.active_methods(pin_user) == []
    # It was the user's last method: the recovery codes went with it.
    assert recovery_rows(pin_user) == 0
    assert not RecoveryCodeDevice.objects.filter(user=pin_user).exists()
    assert listed(api)["pin"]["active"] is False


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_takes_a_recovery_code_as_step_up(pin_user, recovery_codes, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    response = api.delete(method_url("pin"), HTTP_X_MFA_CODE=recovery_codes[0])
    assert response.status_code == 204, response.content
    assert pin_rows(pin_user) == (0, 0)
    assert recovery_rows(pin_user) == 0


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_with_a_wrong_pin_removes_nothing(pin_user, recovery_codes, twostep_clock):
    api = stale_api(pin_user, twostep_clock)
    response = api.delete(method_url("pin"), HTTP_X_MFA_CODE=WRONG_PIN)
    assert_code(response, 403, "mfa_code_invalid")
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    assert pin_rows(pin_user) == (1, 1)
    assert recovery_rows(pin_user) == len(recovery_codes)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_its_removal_keeps_the_recovery_codes_beside_another_method(
    pin_user, recovery_codes, twostep_clock
):
    enroll_totp(pin_user)
    response = fresh_api(pin_user).delete(method_url("pin"))
    assert response.status_code == 204, response.content
    assert pin_rows(pin_user) == (0, 0)
    assert flows.active_methods(pin_user) == ["totp"]
    assert recovery_rows(pin_user) == len(recovery_codes)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_a_wrong_pin_on_the_code_step_counts_for_the_back_off(pin_user, twostep_clock):
    api = APIClient()
    meta = password_login(api).json()["meta"]
    data = {"two_factor_id": meta["two_factor_id"], "method": "pin"}
    response = api.post(TWO_FACTOR, {**data, "code": WRONG_PIN}, format="json")
    assert_code(response, 400, "invalid_code")
    assert UserThrottle.objects.get(user=pin_user).failures == 1
    # Inside the back-off's first wait even the right PIN is refused.
    response = api.post(TWO_FACTOR, {**data, "code": PIN}, format="json")
    assert_code(response, 429, "too_many_attempts")
    twostep_clock.advance(1)
    response = api.post(TWO_FACTOR, {**data, "code": PIN}, format="json")
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_the_recovery_codes_are_not_removed_on_their_own(pin_user, recovery_codes):
    response = fresh_api(pin_user).delete(method_url("recovery_code"))
    assert_code(response, 409, "not_enrolled")
    assert recovery_rows(pin_user) == len(recovery_codes)
    assert pin_rows(pin_user) == (1, 1)


@override_settings(TWOSTEP_METHODS=WITH_PIN)
def test_an_unknown_method_cannot_be_removed(pin_user):
    response = fresh_api(pin_user).delete(method_url("nope"))
    assert_code(response, 400, "validation_error")
    assert pin_rows(pin_user) == (1, 1)


@override_settings(TWOSTEP_METHODS=BUILT_IN)
def test_without_the_setting_it_is_neither_offered_nor_removable(pin_user):
    response = password_login(APIClient())
    assert response.status_code == 200  # the password alone
    api = bearer(APIClient(), response.json()["access_token"])
    assert "pin" not in listed(api)
    assert_code(api.delete(method_url("pin")), 400, "validation_error")
    assert pin_rows(pin_user) == (1, 1)
