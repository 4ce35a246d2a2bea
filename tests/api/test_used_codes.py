"""The API's answer to a code typed a second time (issue 17, item 4a): still 400
``invalid_code`` (403 ``mfa_code_invalid`` in ``X-MFA-Code``), counted as a wrong
code, with a ``detail`` that says the code was used. A wrong code keeps the
catalogue's detail."""

from __future__ import annotations

import pytest
from django.utils import translation

from django_twostep.conf import twostep_settings
from django_twostep.errors import CATALOGUE
from django_twostep.methods.totp.flows import CODE_USED
from django_twostep.models import ApiToken, TOTPDevice, UserThrottle
from django_twostep.testing import TEST_PASSWORD, totp_for, wrong_code
from tests.api.conftest import LOGIN, PASSWORD, TWO_FACTOR, error

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "alice", "password": TEST_PASSWORD}
MFA_VERIFY = "/api/v1/mfa/verify"
GRACE = 1800


def app_code(user, clock) -> str:
    """What the user's authenticator app shows now (pyotp, from the device's secret)."""
    device = TOTPDevice.objects.get(user_id=user.pk, confirmed=True)
    return totp_for(device).at(clock.time())


def used_code(api, user, clock) -> str:
    """A code that logged in a moment ago (through the one-request login)."""
    code = app_code(user, clock)
    assert api.post(LOGIN, {**CREDENTIALS, "code": code}, format="json").status_code == 200
    clock.advance(3)
    return code


def failures(user) -> int:
    return UserThrottle.objects.get(user=user).failures


def test_one_request_login_with_a_used_code(api, totp_user, twostep_clock):
    code = used_code(api, totp_user, twostep_clock)
    response = api.post(LOGIN, {**CREDENTIALS, "code": code}, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "invalid_code"
    assert error(response)["detail"] == str(CODE_USED)
    assert ApiToken.objects.count() == 1  # the first login's only
    assert failures(totp_user) == 1


def test_one_request_login_with_a_used_code_in_x_otp(api, totp_user, twostep_clock):
    code = used_code(api, totp_user, twostep_clock)
    response = api.post(LOGIN, CREDENTIALS, format="json", HTTP_X_OTP=code)
    assert (response.status_code, error(response)["detail"]) == (400, str(CODE_USED))


def test_one_request_login_with_a_wrong_code_keeps_the_plain_detail(api, totp_user, twostep_clock):
    used_code(api, totp_user, twostep_clock)
    response = api.post(LOGIN, {**CREDENTIALS, "code": wrong_code(totp_user)}, format="json")
    assert (response.status_code, error(response)["code"]) == (400, "invalid_code")
    assert error(response)["detail"] == str(CATALOGUE["invalid_code"].detail)


@pytest.mark.parametrize("kind", ["used", "wrong"])
def test_two_factor_counts_a_used_code_as_a_wrong_one(api, totp_user, twostep_clock, kind):
    code = used_code(api, totp_user, twostep_clock)
    challenge = api.post(LOGIN, CREDENTIALS, format="json").json()["meta"]
    sent = code if kind == "used" else wrong_code(totp_user)
    body = {"two_factor_id": challenge["two_factor_id"], "code": sent}
    response = api.post(TWO_FACTOR, body, format="json")
    assert response.status_code == 400
    answer = error(response)
    assert answer["code"] == "invalid_code"
    assert answer["meta"]["attempts_left"] == twostep_settings.CHALLENGE_MAX_ATTEMPTS - 1
    assert failures(totp_user) == 1
    expected = CODE_USED if kind == "used" else CATALOGUE["invalid_code"].detail
    assert answer["detail"] == str(expected)


def test_two_factor_with_method_totp_and_a_used_code(api, totp_user, twostep_clock):
    code = used_code(api, totp_user, twostep_clock)
    challenge = api.post(LOGIN, CREDENTIALS, format="json").json()["meta"]
    body = {"two_factor_id": challenge["two_factor_id"], "code": code, "method": "totp"}
    assert error(api.post(TWO_FACTOR, body, format="json"))["detail"] == str(CODE_USED)


def test_the_detail_is_translated(api, totp_user, twostep_clock):
    code = used_code(api, totp_user, twostep_clock)
    response = api.post(
        LOGIN, {**CREDENTIALS, "code": code}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    with translation.override("de"):
        german = str(CODE_USED)
    with translation.override("en"):
        assert german != str(CODE_USED)
    assert error(response)["detail"] == german


# -- step-up --------------------------------------------------------------------------------


def test_x_mfa_code_used_already(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(GRACE + 30)
    code = app_code(totp_user, twostep_clock)
    body = {"password": TEST_PASSWORD, "new_password": "a completely new passphrase"}
    assert totp_api.patch(PASSWORD, body, format="json", HTTP_X_MFA_CODE=code).status_code == 204
    back = {"password": body["new_password"], "new_password": "yet another long passphrase"}
    response = totp_api.patch(PASSWORD, back, format="json", HTTP_X_MFA_CODE=code)
    assert (response.status_code, error(response)["code"]) == (403, "mfa_code_invalid")
    assert error(response)["detail"] == str(CODE_USED)
    assert failures(totp_user) == 1


def test_x_mfa_code_wrong_keeps_the_plain_detail(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(GRACE + 30)
    body = {"password": TEST_PASSWORD, "new_password": "a completely new passphrase"}
    response = totp_api.patch(PASSWORD, body, format="json", HTTP_X_MFA_CODE=wrong_code(totp_user))
    assert (response.status_code, error(response)["code"]) == (403, "mfa_code_invalid")
    assert error(response)["detail"] == str(CATALOGUE["mfa_code_invalid"].detail)


def test_mfa_verify_with_a_used_code(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(GRACE + 30)
    code = app_code(totp_user, twostep_clock)
    assert totp_api.post(MFA_VERIFY, {"code": code}, format="json").status_code == 204
    response = totp_api.post(MFA_VERIFY, {"code": code}, format="json")
    assert (response.status_code, error(response)["code"]) == (400, "invalid_code")
    assert error(response)["detail"] == str(CODE_USED)
    assert failures(totp_user) == 1
