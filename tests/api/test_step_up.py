"""Step-up (X-MFA-Code, grace period) on the example project's PATCH me/password; mfa/trigger."""

import json

import pytest
from rest_framework.test import APIClient

from django_twostep import clock
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import ApiToken, UserThrottle
from django_twostep.testing import TEST_PASSWORD, current_code, wrong_code
from tests.api.conftest import PASSWORD, TRIGGER, bearer, codes, error, login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a completely new passphrase"
CHANGE = {"password": TEST_PASSWORD, "new_password": NEW_PASSWORD}


def change(client, body=CHANGE, **headers):
    return client.patch(PASSWORD, body, format="json", **headers)


def works(access_token) -> bool:
    return bearer(APIClient(), access_token).get("/api/v1/users/me/otp").status_code == 200


# -- the grace period -------------------------------------------------------------------


def test_token_verified_at_login_passes_within_the_grace(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1800 - 30 - 1)  # the fixture moved 30 s after the login
    response = change(totp_api)
    assert response.status_code == 204, response.content
    totp_user.refresh_from_db()
    assert totp_user.check_password(NEW_PASSWORD)


def test_after_the_grace_a_code_is_missing(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1800 - 30)
    response = change(totp_api)
    assert response.status_code == 403 and codes(response) == ["mfa_code_missing"]
    assert error(response)["source"] == {"header": "X-MFA-Code"}
    totp_user.refresh_from_db()
    assert totp_user.check_password(TEST_PASSWORD)


def test_grace_is_a_setting(totp_api, settings):
    settings.TWOSTEP_STEP_UP_GRACE = 10
    assert codes(change(totp_api)) == ["mfa_code_missing"]


def test_token_without_verification_needs_a_code(totp_user, twostep_clock):
    # A token issued before the user enrolled carries no verification.
    from django_twostep.flows import tokens

    issued = tokens.issue_tokens(totp_user)
    client = bearer(APIClient(), issued.access_token)
    assert codes(change(client)) == ["mfa_code_missing"]


def test_a_right_code_passes_and_starts_a_new_grace(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1900)
    body = {"password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    response = change(totp_api, body, HTTP_X_MFA_CODE=current_code(totp_user))
    assert response.status_code == 204
    assert ApiToken.objects.get().verified_at == clock.now()
    twostep_clock.advance(1500)  # within the new grace (and the access token's hour)
    back = {"password": NEW_PASSWORD, "new_password": "yet another long passphrase"}
    assert change(totp_api, back).status_code == 204


def test_a_recovery_code_works_as_x_mfa_code(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1900)
    recovery = recovery_flows.generate_recovery_codes(totp_user)[0]
    assert change(totp_api, HTTP_X_MFA_CODE=recovery).status_code == 204


def test_a_wrong_code_is_invalid_and_counts(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1900)
    response = change(totp_api, HTTP_X_MFA_CODE=wrong_code(totp_user))
    assert response.status_code == 403 and codes(response) == ["mfa_code_invalid"]
    assert error(response)["source"] == {"header": "X-MFA-Code"}
    assert UserThrottle.objects.get(user=totp_user).failures == 1
    response = change(totp_api, HTTP_X_MFA_CODE=current_code(totp_user))
    assert response.status_code == 429 and codes(response) == ["too_many_attempts"]
    assert response["Retry-After"] == "1"


def test_a_code_sent_inside_the_grace_is_still_checked(totp_api, totp_user):
    response = change(totp_api, HTTP_X_MFA_CODE=wrong_code(totp_user))
    assert response.status_code == 403 and codes(response) == ["mfa_code_invalid"]
    assert UserThrottle.objects.get(user=totp_user).failures == 1


def test_a_replayed_code_is_refused(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1900)
    code = current_code(totp_user)
    body = {"password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    assert change(totp_api, body, HTTP_X_MFA_CODE=code).status_code == 204
    back = {"password": NEW_PASSWORD, "new_password": "yet another long passphrase"}
    response = change(totp_api, back, HTTP_X_MFA_CODE=code)
    assert codes(response) == ["mfa_code_invalid"]


def test_an_empty_header_is_a_missing_code(totp_api, twostep_clock):
    twostep_clock.advance(1900)
    assert codes(change(totp_api, HTTP_X_MFA_CODE="  ")) == ["mfa_code_missing"]


# -- users without a method ------------------------------------------------------------


def test_user_without_method_passes_and_x_mfa_code_is_ignored(plain_api, plain_user):
    response = change(plain_api, HTTP_X_MFA_CODE="000000")
    assert response.status_code == 204
    assert not UserThrottle.objects.filter(user=plain_user, failures__gt=0).exists()


def test_required_user_without_method_is_not_enrolled(plain_api, plain_user, settings):
    settings.TWOSTEP_REQUIRED = "tests.api.test_step_up.everyone"
    response = change(plain_api)
    assert response.status_code == 403 and codes(response) == ["not_enrolled"]
    plain_user.refresh_from_db()
    assert plain_user.check_password(TEST_PASSWORD)


def test_required_user_still_gets_a_token_to_enrol(plain_user, settings, twostep_clock):
    settings.TWOSTEP_REQUIRED = "tests.api.test_step_up.everyone"
    client = bearer(APIClient(), login(plain_user, with_code=False)["access_token"])
    assert client.post("/api/v1/users/me/otp").status_code == 201


def everyone(user):
    return True


def test_step_up_needs_a_token(db):
    response = APIClient().patch(PASSWORD, CHANGE, format="json")
    assert response.status_code == 401 and codes(response) == ["not_authenticated"]


# -- the password change itself ------------------------------------------------------------


def test_password_change_revokes_other_tokens_but_not_its_own(plain_user, twostep_clock):
    mine = login(plain_user, with_code=False)
    other = login(plain_user, with_code=False)
    client = bearer(APIClient(), mine["access_token"])
    assert change(client).status_code == 204
    assert works(mine["access_token"])
    assert not works(other["access_token"])
    response = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh_token": other["refresh_token"]}, format="json"
    )
    assert codes(response) == ["invalid_grant"]
    # The token that made the change refreshes on.
    response = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh_token": mine["refresh_token"]}, format="json"
    )
    assert response.status_code == 200
    assert works(response.json()["access_token"])


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"password": "wrong", "new_password": NEW_PASSWORD}, "/password"),
        ({"password": TEST_PASSWORD}, "/new_password"),
        ({"new_password": NEW_PASSWORD}, "/password"),
        ({"password": TEST_PASSWORD, "new_password": 5}, "/new_password"),
    ],
)
def test_password_change_validation(plain_api, body, pointer):
    response = change(plain_api, body)
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert error(response)["source"] == {"pointer": pointer}


def test_password_change_with_form_and_jsonapi_bodies(plain_api, plain_user):
    from urllib.parse import urlencode

    response = plain_api.generic(
        "PATCH", PASSWORD, urlencode(CHANGE), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 204
    back = {"password": NEW_PASSWORD, "new_password": "yet another long passphrase"}
    body = json.dumps({"data": {"type": "password", "attributes": back}})
    response = plain_api.generic("PATCH", PASSWORD, body, "application/vnd.api+json")
    assert response.status_code == 204


# -- mfa/trigger --------------------------------------------------------------------------


def trigger(client, body, kind="json"):
    if kind == "jsonapi":
        return client.generic("POST", TRIGGER, json.dumps(body), "application/vnd.api+json")
    if kind == "form":
        return client.post(TRIGGER, body)
    return client.post(TRIGGER, body, format="json")


def wrapped(attributes):
    return {"data": {"type": "multi-factor-auth-trigger", "attributes": attributes}}


@pytest.mark.parametrize("kind", ["json", "jsonapi", "form"])
def test_trigger_email_without_an_email_method(totp_api, kind):
    for body in ({"type": "email"}, wrapped({"type": "email"})):
        if kind == "form" and "data" in body:
            continue
        response = trigger(totp_api, body, kind)
        assert response.status_code == 400 and codes(response) == ["method_not_available"]


@pytest.mark.parametrize(
    "body", [{}, {"type": ""}, {"type": None}, wrapped({}), wrapped({"type": None})]
)
def test_trigger_without_a_type(totp_api, body):
    response = trigger(totp_api, body)
    assert response.status_code == 400 and codes(response) == ["mfa_type_missing"]


@pytest.mark.parametrize("body", [{"type": "sms"}, {"type": "EMAIL"}, wrapped({"type": "carrier"})])
def test_trigger_with_an_unknown_type(totp_api, body):
    response = trigger(totp_api, body)
    assert response.status_code == 400 and codes(response) == ["mfa_type_not_found"]


def test_trigger_unknown_method_value_is_a_validation_error(totp_api):
    response = trigger(totp_api, {"method": "sms"})
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert error(response)["source"] == {"pointer": "/method"}
    response = trigger(totp_api, {"method": "email"})
    assert codes(response) == ["method_not_available"]


@pytest.mark.parametrize("body", [{"type": 5}, {"type": ["email"]}, {"type": {"a": 1}}, [1], "x"])
def test_trigger_with_malformed_bodies(totp_api, body):
    response = trigger(totp_api, body)
    assert response.status_code == 400 and codes(response) == ["validation_error"]


def test_trigger_needs_a_token(db):
    response = APIClient().post(TRIGGER, {"type": "email"}, format="json")
    assert response.status_code == 401 and codes(response) == ["not_authenticated"]


# -- e-mailed step-up codes (Spryker's flow end to end) ------------------------------


@pytest.fixture
def email_api(email_user, twostep_clock):
    from django_twostep.flows import tokens

    issued = tokens.issue_tokens(email_user)  # not verified: step-up will ask
    return bearer(APIClient(), issued.access_token)


@pytest.mark.parametrize("kind", ["json", "jsonapi", "form"])
def test_trigger_emails_a_code_that_passes_step_up(email_api, email_user, kind, twostep_clock):
    from django.core import mail

    from tests.api.conftest import last_emailed_code

    body = wrapped({"type": "email"}) if kind == "jsonapi" else {"type": "email"}
    response = trigger(email_api, body, kind)
    assert response.status_code == 204, response.content
    assert mail.outbox[-1].to == ["erin@example.com"]
    assert codes(change(email_api)) == ["mfa_code_missing"]
    response = change(email_api, HTTP_X_MFA_CODE=last_emailed_code())
    assert response.status_code == 204
    assert ApiToken.objects.get(user=email_user).verified_at == clock.now()


def test_trigger_is_rate_limited_with_retry_after(email_api):
    assert trigger(email_api, {"type": "email"}).status_code == 204
    response = trigger(email_api, {"type": "email"})
    assert response.status_code == 429 and codes(response) == ["resend_too_soon"]
    assert response["Retry-After"] == "30"


def test_email_users_are_offered_email_at_login(email_user, twostep_clock):
    from django_twostep.methods.email import flows as email_flows
    from tests.api.conftest import LOGIN, TWO_FACTOR, last_emailed_code

    api = APIClient()
    response = api.post(LOGIN, {"username": "erin", "password": TEST_PASSWORD}, format="json")
    meta = response.json()["meta"]
    assert meta["methods"] == ["email"]
    email_flows.send_login_code(meta["two_factor_id"])
    data = {"two_factor_id": meta["two_factor_id"], "code": last_emailed_code(), "method": "email"}
    response = api.post(TWO_FACTOR, data, format="json")
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"
