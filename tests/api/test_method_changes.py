"""Changing second factors through the API needs a fresh second factor (SPEC 4, 2026-12-03).

The attacker holds a bearer token that never passed a second factor (a
password-only login taken before the owner enrolled). Once the user has a
method, that token cannot add, re-key or remove one, or regenerate recovery
codes, without a right ``X-MFA-Code``; the first method needs none, and only
its activation verifies the token. The pages' twin is tests/test_method_changes.py.
"""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from django_twostep import clock, flows
from django_twostep.flows import tokens
from django_twostep.methods.email import flows as email_flows
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import ApiToken, EmailDevice, RecoveryCode, TOTPDevice, UserThrottle
from django_twostep.testing import TEST_PASSWORD, current_code, totp_for

from .conftest import (
    LOGIN,
    TRIGGER,
    TWO_FACTOR,
    bearer,
    codes,
    error,
    last_emailed_code,
    otp_url,
    recovery_url,
)

pytestmark = pytest.mark.django_db

EMAIL = "/api/v1/users/me/email-otp"
GRACE = 1800


def unverified_api(user) -> APIClient:
    """A client whose token came from a password-only login."""
    return bearer(APIClient(), tokens.issue_tokens(user).access_token)


def token_of(client: APIClient) -> ApiToken:
    raw = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    return tokens.authenticate_access_token(raw)


def assert_step_up_needed(response) -> None:
    assert response.status_code == 403, response.content
    assert codes(response) == ["mfa_code_missing"]
    assert error(response)["source"] == {"header": "X-MFA-Code"}


def recovery_digests(user) -> set:
    return set(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))


# -- the holes, attacked ---------------------------------------------------------------


def test_the_reported_takeover_is_refused_at_every_step(email_user):
    """POST otp, PATCH otp with the attacker's code, then a new set of recovery codes
    and the owner's e-mail method removed: each step is refused, nothing written."""
    api = unverified_api(email_user)
    assert_step_up_needed(api.post(otp_url()))
    assert not TOTPDevice.objects.filter(user=email_user).exists()

    # A secret the owner began (in a session that stepped up) cannot be activated with it.
    enrollment = totp_flows.begin_totp_setup(email_user, verified_at=clock.now())
    code = totp_for(enrollment.device).at(clock.time())
    assert_step_up_needed(api.patch(otp_url(), {"code": code}, format="json"))
    assert not TOTPDevice.objects.filter(user=email_user, confirmed=True).exists()

    before = recovery_digests(email_user)
    assert_step_up_needed(api.post(recovery_url()))
    assert recovery_digests(email_user) == before

    assert_step_up_needed(api.delete(EMAIL))
    assert flows.active_methods(email_user) == ["email"]
    assert token_of(api).verified_at is None


def test_an_unverified_token_cannot_add_e_mail_codes(totp_user):
    api = unverified_api(totp_user)
    assert_step_up_needed(api.post(EMAIL))
    assert_step_up_needed(api.patch(EMAIL, {"code": "123456"}, format="json"))
    assert not mail.outbox
    assert not EmailDevice.objects.filter(user=totp_user).exists()


def test_an_expired_grace_is_as_good_as_none(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(GRACE)
    assert_step_up_needed(totp_api.post(EMAIL))
    assert_step_up_needed(totp_api.post(recovery_url()))


def test_a_wrong_x_mfa_code_is_refused_and_counts(email_user):
    api = unverified_api(email_user)
    response = api.post(otp_url(), HTTP_X_MFA_CODE="000000")
    assert response.status_code == 403 and codes(response) == ["mfa_code_invalid"]
    assert UserThrottle.objects.get(user=email_user).failures == 1
    assert not TOTPDevice.objects.filter(user=email_user).exists()


# -- with a right code, the same changes go through ---------------------------------------


def test_with_a_right_code_a_second_method_is_added_without_verifying_again(
    email_user, twostep_clock
):
    api = unverified_api(email_user)
    assert api.post(TRIGGER, {"type": "email"}, format="json").status_code == 204
    response = api.post(otp_url(), HTTP_X_MFA_CODE=last_emailed_code())
    assert response.status_code == 201
    stepped_up_at = token_of(api).verified_at
    assert stepped_up_at == clock.now()

    twostep_clock.advance(1000)  # still inside the grace the code started
    code = totp_for(TOTPDevice.objects.get(user=email_user)).at(clock.time())
    assert api.patch(otp_url(), {"code": code}, format="json").status_code == 204
    assert flows.active_methods(email_user) == ["totp", "email"]
    # Proving a second method does not verify the token by itself.
    assert token_of(api).verified_at == stepped_up_at
    twostep_clock.advance(GRACE - 1000)
    assert_step_up_needed(api.post(recovery_url()))


def test_with_a_right_code_a_method_is_removed(totp_user, twostep_clock):
    api = unverified_api(totp_user)
    stepped_up = {"HTTP_X_MFA_CODE": current_code(totp_user)}
    assert api.post(EMAIL, **stepped_up).status_code == 202
    assert api.patch(EMAIL, {"code": last_emailed_code()}, format="json").status_code == 204
    twostep_clock.advance(GRACE)
    assert_step_up_needed(api.delete(EMAIL))
    assert api.delete(EMAIL, HTTP_X_MFA_CODE=current_code(totp_user)).status_code == 204
    assert flows.active_methods(totp_user) == ["totp"]


def test_with_a_right_code_recovery_codes_are_regenerated(email_user):
    api = unverified_api(email_user)
    api.post(TRIGGER, {"type": "email"}, format="json")
    response = api.post(recovery_url(), HTTP_X_MFA_CODE=last_emailed_code())
    assert response.status_code == 201 and len(response.json()["codes"]) == 10


# -- the first method -------------------------------------------------------------------------


def test_the_first_method_needs_no_step_up_and_verifies_the_token(plain_user, twostep_clock):
    api = unverified_api(plain_user)
    assert api.post(otp_url(), HTTP_X_MFA_CODE="ignored").status_code == 201
    code = totp_for(TOTPDevice.objects.get(user=plain_user)).at(clock.time())
    assert api.patch(otp_url(), {"code": code}, format="json").status_code == 204
    assert token_of(api).verified_at == clock.now()
    assert api.post(recovery_url()).status_code == 201  # inside the grace it started


def test_the_first_method_needs_no_step_up_under_the_policy(plain_user, settings):
    settings.TWOSTEP_REQUIRED = "staff"
    plain_user.is_staff = True
    plain_user.save()
    api = unverified_api(plain_user)
    assert api.post(otp_url()).status_code == 201
    assert api.post(EMAIL).status_code == 202


def test_confirming_e_mail_as_the_first_method_verifies_the_token(plain_user, twostep_clock):
    api = unverified_api(plain_user)
    assert api.post(EMAIL).status_code == 202
    assert api.patch(EMAIL, {"code": last_emailed_code()}, format="json").status_code == 204
    assert token_of(api).verified_at == clock.now()


# -- removing TOTP takes any active method's code ---------------------------------------------


def test_totp_is_disabled_with_an_e_mailed_code(totp_user, twostep_clock):
    email_flows.begin_email_setup(totp_user, verified_at=clock.now())
    email_flows.confirm_email_setup(totp_user, last_emailed_code(), verified_at=clock.now())
    twostep_clock.advance(60)
    api = unverified_api(totp_user)  # the code is the step-up here
    assert api.post(TRIGGER, {"type": "email"}, format="json").status_code == 204
    response = api.delete(otp_url(), {"code": last_emailed_code()}, format="json")
    assert response.status_code == 204
    assert flows.active_methods(totp_user) == ["email"]


def test_totp_is_not_disabled_without_a_right_code(totp_user):
    api = unverified_api(totp_user)
    response = api.delete(otp_url(), {"code": "000000"}, format="json")
    assert response.status_code == 400 and codes(response) == ["invalid_code"]
    assert flows.active_methods(totp_user) == ["totp"]


# -- recovery codes made by an API activation are shown once ----------------------------------


def activate_totp_through(api: APIClient, user) -> None:
    assert api.post(otp_url()).status_code == 201
    code = totp_for(TOTPDevice.objects.get(user=user, confirmed=False)).at(clock.time())
    assert api.patch(otp_url(), {"code": code}, format="json").status_code == 204


def test_recovery_codes_of_an_api_activation_are_shown_once(plain_user, twostep_clock):
    api = unverified_api(plain_user)
    activate_totp_through(api, plain_user)
    other = unverified_api(plain_user)  # another token of the same user sees none
    assert other.get(recovery_url()).json() == {"remaining": 10}

    body = api.get(recovery_url()).json()
    assert body["remaining"] == 10 and len(body["codes"]) == 10
    assert api.get(recovery_url()).json() == {"remaining": 10}  # once
    assert not token_of(api).unseen_recovery_codes
    twostep_clock.advance(30)
    response = APIClient().post(
        LOGIN,
        {"username": plain_user.username, "password": TEST_PASSWORD, "code": body["codes"][0]},
        format="json",
    )
    assert response.status_code == 200  # they are the user's real codes


def test_unseen_recovery_codes_are_stored_encrypted(plain_user):
    api = unverified_api(plain_user)
    activate_totp_through(api, plain_user)
    stored = ApiToken.objects.get(pk=token_of(api).pk).unseen_recovery_codes
    codes_shown = api.get(recovery_url()).json()["codes"]
    assert stored and not any(
        code in stored or code.replace("-", "") in stored for code in codes_shown
    )


def test_a_set_replaced_before_it_was_seen_is_never_shown(plain_user):
    api = unverified_api(plain_user)
    activate_totp_through(api, plain_user)
    recovery_flows.regenerate_recovery_codes(plain_user, verified_at=clock.now())  # on a page, say
    assert api.get(recovery_url()).json() == {"remaining": 10}


def test_a_second_method_with_codes_left_shows_no_codes(email_user):
    api = unverified_api(email_user)
    api.post(TRIGGER, {"type": "email"}, format="json")
    api.post(otp_url(), HTTP_X_MFA_CODE=last_emailed_code())
    code = totp_for(TOTPDevice.objects.get(user=email_user)).at(clock.time())
    assert api.patch(otp_url(), {"code": code}, format="json").status_code == 204
    assert api.get(recovery_url()).json() == {"remaining": 10}


# -- oversized codes in headers -----------------------------------------------------------------

HUGE = "1" * 65


def throttle_failures(user) -> int:
    row = UserThrottle.objects.filter(user=user).first()
    return row.failures if row else 0


def test_an_oversized_x_otp_is_a_validation_error_and_counts_for_nothing(totp_user):
    api = APIClient()
    data = {"username": "alice", "password": TEST_PASSWORD}
    response = api.post(LOGIN, data, format="json", HTTP_X_OTP=HUGE)
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert error(response)["source"] == {"header": "X-OTP"}
    assert HUGE not in response.content.decode()

    meta = api.post(LOGIN, data, format="json").json()["meta"]
    response = api.post(
        TWO_FACTOR, {"two_factor_id": meta["two_factor_id"]}, format="json", HTTP_X_OTP=HUGE
    )
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert throttle_failures(totp_user) == 0
    response = api.post(
        TWO_FACTOR,
        {"two_factor_id": meta["two_factor_id"], "code": current_code(totp_user)},
        format="json",
    )
    assert response.status_code == 200  # the challenge lost no attempt either


def test_an_oversized_x_mfa_code_is_a_validation_error_and_counts_for_nothing(
    totp_api, totp_user, twostep_clock
):
    twostep_clock.advance(GRACE)
    response = totp_api.post(recovery_url(), HTTP_X_MFA_CODE=HUGE)
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert error(response)["source"] == {"header": "X-MFA-Code"}
    assert throttle_failures(totp_user) == 0
    assert totp_api.post(TRIGGER, {"type": "email"}, format="json").status_code == 400
    response = totp_api.patch(
        "/api/v1/me/password",
        {"password": TEST_PASSWORD, "new_password": "another passphrase"},
        format="json",
        HTTP_X_MFA_CODE=HUGE,
    )
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert throttle_failures(totp_user) == 0
