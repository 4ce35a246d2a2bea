"""Fixtures for the API tests: a DRF client and helpers that log in as a client would."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_twostep.testing import TEST_PASSWORD, current_code

LOGIN = "/api/v1/auth/login"
TWO_FACTOR = "/api/v1/auth/two-factor"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
TRIGGER = "/api/v1/mfa/trigger"
PASSWORD = "/api/v1/me/password"


def otp_url(username: str = "me") -> str:
    return f"/api/v1/users/{username}/otp"


def recovery_url(username: str = "me") -> str:
    return f"/api/v1/users/{username}/recovery-codes"


def codes(response) -> list[str]:
    """The error codes of an envelope answer."""
    body = response.json()
    assert set(body) <= {"errors", "meta"}, body
    return [error["code"] for error in body["errors"]]


def error(response) -> dict:
    body = response.json()
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


def bearer(client: APIClient, access_token: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def plain_user(db, django_user_model):
    """A user with a password and no two-factor method."""
    return django_user_model.objects.create_user(
        username="bob", email="bob@example.com", password=TEST_PASSWORD
    )


def login(user, *, with_code: bool = True) -> dict:
    """Log ``user`` in through the API (one request, with a code if they have TOTP)."""
    data = {"username": user.get_username(), "password": TEST_PASSWORD}
    if with_code:
        data["code"] = current_code(user)
    response = APIClient().post(LOGIN, data, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def totp_tokens(totp_user, twostep_clock) -> dict:
    """A token payload of ``totp_user`` from a login that passed TOTP (verified now)."""
    payload = login(totp_user)
    twostep_clock.advance(30)  # the login's code is spent; the next step is fresh
    return payload


@pytest.fixture
def totp_api(totp_tokens) -> APIClient:
    """A client holding ``totp_user``'s verified bearer token."""
    return bearer(APIClient(), totp_tokens["access_token"])


@pytest.fixture
def plain_tokens(plain_user, twostep_clock) -> dict:
    return login(plain_user, with_code=False)


@pytest.fixture
def plain_api(plain_tokens) -> APIClient:
    return bearer(APIClient(), plain_tokens["access_token"])


def last_emailed_code() -> str:
    """The code in the newest mail, as a person reads it."""
    import re

    from django.core import mail

    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


@pytest.fixture
def email_user(db, django_user_model, twostep_clock):
    """A user whose only method is a confirmed e-mail address."""
    from django.core import mail

    from django_twostep.methods.email import flows as email_flows

    user = django_user_model.objects.create_user(
        username="erin", email="erin@example.com", password=TEST_PASSWORD
    )
    email_flows.begin_email_setup(user)
    email_flows.confirm_email_setup(user, last_emailed_code())
    twostep_clock.advance(60)  # past the resend interval
    mail.outbox.clear()
    return user
