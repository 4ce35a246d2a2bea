"""TWOSTEP_METHODS decides what exists: a built-in method dropped from it is gone from
the pages and the API, and what is left still works without it."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from django_twostep import clock, state
from django_twostep.flows import tokens
from django_twostep.flows.maintenance import reset_two_factor
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import (
    Challenge,
    EmailDevice,
    RecoveryCodeDevice,
    TOTPDevice,
    UserThrottle,
)
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified, totp_for
from tests.pages import url
from tests.plugin_method import BUILT_IN

pytestmark = pytest.mark.django_db

TOTP_ONLY = BUILT_IN[:1]
WITHOUT_EMAIL = [BUILT_IN[0], BUILT_IN[2]]


def fresh_api(user) -> APIClient:
    client = APIClient()
    access = tokens.issue_tokens(user, verified_at=clock.now()).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@override_settings(TWOSTEP_METHODS=TOTP_ONLY)
def test_totp_activates_without_recovery_codes_configured(plain_user, twostep_clock):
    client = Client()
    client.force_login(plain_user)
    client.get(url("totp-setup"))
    device = TOTPDevice.objects.get(user=plain_user, confirmed=False)
    code = totp_for(device).at(twostep_clock.time())
    response = client.post(url("totp-setup"), {"code": code})
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert TOTPDevice.objects.filter(user=plain_user, confirmed=True).exists()
    assert not RecoveryCodeDevice.objects.filter(user=plain_user).exists()


@override_settings(TWOSTEP_METHODS=TOTP_ONLY)
def test_totp_activates_without_recovery_codes_configured_through_the_api(
    plain_user, twostep_clock
):
    api = fresh_api(plain_user)
    secret = api.post("/api/v1/users/me/otp").json()["secret"]
    device = TOTPDevice.objects.get(user=plain_user, confirmed=False)
    assert device.base32_key == secret
    code = totp_for(device).at(twostep_clock.time())
    assert api.patch("/api/v1/users/me/otp", {"code": code}, format="json").status_code == 204
    assert api.get("/api/v1/users/me/recovery-codes").status_code == 404
    assert not RecoveryCodeDevice.objects.filter(user=plain_user).exists()


@override_settings(TWOSTEP_METHODS=WITHOUT_EMAIL)
def test_a_dropped_methods_pages_answer_404(totp_user):
    client = login_verified(Client(), totp_user)
    assert client.get(url("email-setup")).status_code == 404
    assert client.post(url("verify-email")).status_code == 404
    assert client.get(url("totp-setup"), follow=True).status_code == 200  # still configured


@override_settings(TWOSTEP_METHODS=WITHOUT_EMAIL)
def test_a_dropped_methods_endpoints_answer_404(totp_user):
    api = fresh_api(totp_user)
    response = api.post("/api/v1/users/me/email-otp")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"
    assert api.get("/api/v1/users/me/otp").status_code == 200  # still configured
    trigger = api.post("/api/v1/mfa/trigger", {"type": "email"}, format="json")
    assert trigger.json()["errors"][0]["code"] == "mfa_type_not_found"


def test_removing_an_unknown_method_names_the_path_parameter(totp_user):
    response = fresh_api(totp_user).delete("/api/v1/users/me/methods/sms")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "validation_error" and error["source"] == {"parameter": "name"}


def test_a_pending_set_up_alone_is_not_two_step_login_and_can_be_removed(plain_user):
    totp_flows.begin_totp_setup(plain_user)
    api = fresh_api(plain_user)
    listed = {m["name"]: m for m in api.get("/api/v1/users/me/methods").json()["methods"]}
    assert listed["totp"]["active"] is False and listed["totp"]["pending"] is True
    assert api.delete("/api/v1/users/me/methods/totp").status_code == 204
    assert not TOTPDevice.objects.filter(user=plain_user).exists()
    assert api.delete("/api/v1/users/me/methods/totp").status_code == 409  # nothing left


def test_removing_what_cannot_be_removed_spends_no_step_up_code(totp_user, twostep_clock):
    api = fresh_api(totp_user)
    twostep_clock.advance(1801)  # past the grace: the request needs X-MFA-Code
    code = current_code(totp_user)
    response = api.delete("/api/v1/users/me/methods/email", HTTP_X_MFA_CODE=code)
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "not_enrolled"
    unknown = api.delete("/api/v1/users/me/methods/sms", HTTP_X_MFA_CODE=code)
    assert unknown.status_code == 400
    # The same code (its time step unspent) still passes step-up.
    regenerate = api.post("/api/v1/users/me/recovery-codes", HTTP_X_MFA_CODE=code)
    assert regenerate.status_code == 201
    assert UserThrottle.objects.get(user=totp_user).failures == 0


def test_naming_a_method_the_user_lacks_is_refused_before_any_code_is_checked(erin):
    api = APIClient()
    login = api.post(
        "/api/v1/auth/login", {"username": "erin", "password": TEST_PASSWORD}, format="json"
    )
    two_factor_id = login.json()["meta"]["two_factor_id"]
    body = {"two_factor_id": two_factor_id, "code": "123456", "method": "totp"}
    response = api.post("/api/v1/auth/two-factor", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "method_not_available"
    assert not UserThrottle.objects.filter(user=erin, failures__gt=0).exists()
    assert Challenge.objects.get(user=erin).attempts_left == 5  # no attempt spent


@override_settings(TWOSTEP_METHODS=WITHOUT_EMAIL)
def test_an_admin_reset_removes_the_devices_of_a_dropped_method(erin):
    reset_two_factor(erin)
    assert not EmailDevice.objects.filter(user=erin).exists()


def test_removing_the_last_method_on_the_email_page_forgets_this_browser(erin, twostep_clock):
    client = login_verified(Client(), erin)
    client.cookies[state.TRUSTED_COOKIE_NAME] = "a-token"
    response = client.post(url("email-setup"), {"remove": "1"})
    assert response.status_code == 302
    assert response.cookies[state.TRUSTED_COOKIE_NAME].value == ""  # deleted
    assert not EmailDevice.objects.filter(user=erin).exists()
