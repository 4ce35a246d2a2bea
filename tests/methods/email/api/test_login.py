"""Logging in with an e-mailed code through the API: auth/two-factor/send.

Codes are read from Django's test outbox, as a person reads their mailbox.
"""

import logging

import pytest
from django.core import mail
from rest_framework.test import APIClient

from django_twostep import clock, flows
from django_twostep.testing import TEST_PASSWORD
from tests.api.conftest import LOGIN, TWO_FACTOR, codes, last_emailed_code

SEND = "/api/v1/auth/two-factor/send"


def start_login(user) -> dict:
    response = APIClient().post(
        LOGIN, {"username": user.get_username(), "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 401
    return response.json()["meta"]


def test_login_in_two_requests_with_an_emailed_code(email_user):
    meta = start_login(email_user)
    assert meta["methods"] == ["email"]
    api = APIClient()
    response = api.post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json")
    assert response.status_code == 204
    assert mail.outbox[-1].to == ["erin@example.com"]
    data = {"two_factor_id": meta["two_factor_id"], "code": last_emailed_code()}
    response = api.post(TWO_FACTOR, data, format="json")
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


def test_send_with_method_email_and_form_body(email_user):
    meta = start_login(email_user)
    response = APIClient().post(
        SEND, {"two_factor_id": meta["two_factor_id"], "method": "email"}, format="multipart"
    )
    assert response.status_code == 204


def test_send_for_a_totp_only_user_is_method_not_available(totp_user, twostep_clock):
    meta = start_login(totp_user)
    response = APIClient().post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json")
    assert response.status_code == 400 and codes(response) == ["method_not_available"]
    assert not mail.outbox


def test_send_with_another_method_is_method_not_available(email_user):
    meta = start_login(email_user)
    body = {"two_factor_id": meta["two_factor_id"], "method": "totp"}
    response = APIClient().post(SEND, body, format="json")
    assert response.status_code == 400 and codes(response) == ["method_not_available"]


def test_send_with_an_unknown_method_is_a_validation_error(email_user):
    meta = start_login(email_user)
    body = {"two_factor_id": meta["two_factor_id"], "method": "sms"}
    response = APIClient().post(SEND, body, format="json")
    assert response.status_code == 400 and codes(response) == ["validation_error"]


@pytest.mark.parametrize("two_factor_id", ["unknown", "x" * 90])
def test_send_for_a_dead_login_is_expired(db, two_factor_id):
    response = APIClient().post(SEND, {"two_factor_id": two_factor_id}, format="json")
    assert response.status_code == 401 and codes(response) == ["two_factor_expired"]


def test_send_without_an_id_is_a_validation_error(db):
    response = APIClient().post(SEND, {}, format="json")
    assert response.status_code == 400 and codes(response) == ["validation_error"]


def test_send_is_rate_limited(email_user, twostep_clock):
    meta = start_login(email_user)
    api = APIClient()
    assert (
        api.post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json").status_code == 204
    )
    response = api.post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json")
    assert response.status_code == 429 and response["Retry-After"] == "30"


def test_expired_code_is_refused(email_user, twostep_clock):
    meta = start_login(email_user)
    APIClient().post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json")
    code = last_emailed_code()
    twostep_clock.advance(299)  # inside the login's life, but...
    flows.live_challenge(meta["two_factor_id"])
    from django_twostep.models import EmailDevice

    EmailDevice.objects.filter(user=email_user).update(code_expires_at=clock.now())
    data = {"two_factor_id": meta["two_factor_id"], "code": code}
    response = APIClient().post(TWO_FACTOR, data, format="json")
    assert response.status_code == 400 and codes(response) == ["invalid_code"]


def test_no_code_or_id_in_logs(email_user, caplog):
    caplog.set_level(logging.DEBUG)
    meta = start_login(email_user)
    APIClient().post(SEND, {"two_factor_id": meta["two_factor_id"]}, format="json")
    code = last_emailed_code()
    APIClient().post(TWO_FACTOR, {"two_factor_id": meta["two_factor_id"], "code": code})
    assert code not in caplog.text and meta["two_factor_id"] not in caplog.text
