"""API logins send Django's ``user_logged_in`` (so ``last_login`` moves), once per login.

Every path that completes a login is heard exactly once, with the user and the
Django ``HttpRequest`` of the call; the password step of a two-step login, a
refused password, code or passkey, and a token refresh are not logins and are
not heard. ``TWOSTEP_API_SEND_USER_LOGGED_IN = False`` silences it. A receiver
that raises leaves no token behind. The pages' login: tests/test_login_signal.py.
"""

# ruff: noqa: F811  (the fixtures imported from the WebAuthn helpers are arguments)

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIClient

from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import ApiToken
from django_twostep.testing import TEST_PASSWORD, current_code, wrong_code
from tests.api.conftest import LOGIN, REFRESH, TWO_FACTOR, codes, last_emailed_code
from tests.methods.webauthn.api.helpers import (  # noqa: F401  (fixtures among them)
    begin_login,
    begin_passkey,
    complete_passkey,
    key,
    key_user,
    two_factor,
)
from tests.webauthn_authenticator import SoftwareAuthenticator, b64, tampered

pytestmark = pytest.mark.django_db

SEND_CODE = "/api/v1/auth/two-factor/send"
OFF = override_settings(TWOSTEP_API_SEND_USER_LOGGED_IN=False)


@dataclass(frozen=True)
class Heard:
    sender: type
    request: Any
    user: Any


@pytest.fixture
def heard():
    """The ``user_logged_in`` signals sent while the test runs, in order."""
    calls: list[Heard] = []

    def receiver(sender, request, user, **kwargs):
        calls.append(Heard(sender, request, user))

    user_logged_in.connect(receiver, weak=False, dispatch_uid="tests.api.heard")
    yield calls
    user_logged_in.disconnect(dispatch_uid="tests.api.heard")


def credentials(user, **extra) -> dict:
    return {"username": user.get_username(), "password": TEST_PASSWORD, **extra}


def post(data: dict, url: str = LOGIN, client: APIClient | None = None, **extra):
    return (client or APIClient()).post(url, data, format="json", **extra)


def last_login(user):
    user.refresh_from_db(fields=["last_login"])
    return user.last_login


def assert_heard_once(heard: list[Heard], user, path: str) -> None:
    """One signal for ``user``, with Django's arguments and the call's ``HttpRequest``."""
    assert len(heard) == 1, heard
    (call,) = heard
    assert call.sender is type(user)
    assert call.user.pk == user.pk
    assert isinstance(call.request, HttpRequest) and not isinstance(call.request, Request)
    assert call.request.path == path
    # The API call itself is not logged in: the tokens are for the next requests.
    assert not call.request.user.is_authenticated
    assert last_login(user) is not None


def two_step(user, code: str) -> Any:
    """The password, then ``code`` on auth/two-factor: the second answer."""
    challenge = post(credentials(user))
    assert challenge.status_code == 401 and codes(challenge) == ["two_factor_required"]
    return post(
        {"two_factor_id": challenge.json()["meta"]["two_factor_id"], "code": code}, TWO_FACTOR
    )


# -- each path that completes a login is heard once --------------------------------------------


def test_a_login_without_a_method_is_heard_once(plain_user, heard):
    assert last_login(plain_user) is None
    assert post(credentials(plain_user)).status_code == 200
    assert_heard_once(heard, plain_user, LOGIN)


@pytest.mark.parametrize("field", ["code", "auth_token", "X-OTP"])
def test_a_login_with_the_code_in_the_same_request_is_heard_once(totp_user, heard, field):
    code = current_code(totp_user)
    if field == "X-OTP":
        response = post(credentials(totp_user), HTTP_X_OTP=code)
    else:
        response = post(credentials(totp_user, **{field: code}))
    assert response.status_code == 200, response.content
    assert_heard_once(heard, totp_user, LOGIN)


def test_a_one_request_login_with_a_recovery_code_is_heard_once(totp_user, heard):
    recovery = recovery_flows.generate_recovery_codes(totp_user)[0]
    assert post(credentials(totp_user, code=recovery)).status_code == 200
    assert_heard_once(heard, totp_user, LOGIN)


def test_the_second_step_is_heard_once_and_the_password_step_not_at_all(totp_user, heard):
    challenge = post(credentials(totp_user))
    assert codes(challenge) == ["two_factor_required"]
    assert heard == [] and last_login(totp_user) is None
    two_factor_id = challenge.json()["meta"]["two_factor_id"]
    response = post({"two_factor_id": two_factor_id, "code": current_code(totp_user)}, TWO_FACTOR)
    assert response.status_code == 200, response.content
    assert_heard_once(heard, totp_user, TWO_FACTOR)


def test_a_second_step_with_an_emailed_code_is_heard_once(email_user, heard):
    challenge = post(credentials(email_user))
    two_factor_id = challenge.json()["meta"]["two_factor_id"]
    sent = post({"two_factor_id": two_factor_id, "method": "email"}, SEND_CODE)
    assert sent.status_code == 204 and heard == []
    code = last_emailed_code()
    response = post({"two_factor_id": two_factor_id, "code": code}, TWO_FACTOR)
    assert response.status_code == 200, response.content
    assert_heard_once(heard, email_user, TWO_FACTOR)


def test_a_second_step_with_a_security_key_is_heard_once(key_user, key, heard):
    client, meta = begin_login(key_user)
    assert heard == []
    response = two_factor(client, meta, key.assert_(meta["webauthn"]))
    assert response.status_code == 200, response.content
    assert_heard_once(heard, key_user, TWO_FACTOR)


def test_a_passkey_login_is_heard_once(key_user, key, heard):
    client, begun = begin_passkey()
    assert heard == []
    response = complete_passkey(client, begun["passkey_id"], key.assert_(begun["publicKey"]))
    assert response.status_code == 200, response.content
    assert_heard_once(heard, key_user, "/api/v1/auth/passkey/complete")


def test_each_login_is_heard_again(plain_user, heard, twostep_clock):
    for _ in range(3):
        assert post(credentials(plain_user)).status_code == 200
    assert len(heard) == 3


# -- what is not a login -----------------------------------------------------------------------


def test_a_refresh_is_not_a_login(plain_user, heard):
    tokens = post(credentials(plain_user)).json()
    before = last_login(plain_user)
    heard.clear()
    response = post({"refresh_token": tokens["refresh_token"]}, REFRESH)
    assert response.status_code == 200, response.content
    assert heard == []
    assert last_login(plain_user) == before


def test_a_wrong_password_is_not_heard(plain_user, totp_user, heard):
    for user in (plain_user, totp_user):
        response = post({"username": user.get_username(), "password": "wrong"})
        assert codes(response) == ["invalid_credentials"]
    assert heard == []
    assert last_login(plain_user) is None and last_login(totp_user) is None


def test_a_wrong_code_is_not_heard(totp_user, heard, twostep_clock):
    assert codes(post(credentials(totp_user, code=wrong_code(totp_user)))) == ["invalid_code"]
    twostep_clock.advance(60)  # past the back-off
    assert codes(two_step(totp_user, wrong_code(totp_user))) == ["invalid_code"]
    assert heard == [] and last_login(totp_user) is None
    assert not ApiToken.objects.filter(user=totp_user).exists()


def test_a_wrong_passkey_is_not_heard(key_user, key, heard, twostep_clock):
    client, begun = begin_passkey()
    answer = tampered(key.assert_(begun["publicKey"]))
    assert codes(complete_passkey(client, begun["passkey_id"], answer)) == ["invalid_credential"]
    # A key nobody registered.
    client, begun = begin_passkey()
    stranger = SoftwareAuthenticator()
    stranger.register(
        {"rp": {"id": "testserver"}, "user": {"id": b64(b"u" * 32)}, "challenge": b64(b"c" * 32)}
    )
    answer = stranger.assert_(begun["publicKey"])
    assert codes(complete_passkey(client, begun["passkey_id"], answer)) == ["invalid_credential"]
    # A wrong key on the second step, past the back-off of the first refusal.
    twostep_clock.advance(60)
    client, meta = begin_login(key_user)
    response = two_factor(client, meta, tampered(key.assert_(meta["webauthn"])))
    assert codes(response) == ["invalid_credential"]
    assert heard == [] and last_login(key_user) is None


# -- turned off --------------------------------------------------------------------------------


@OFF
def test_turned_off_no_login_is_heard_and_last_login_stays(
    django_user_model, totp_user, key_user, key, heard, twostep_clock
):
    plain = django_user_model.objects.create_user("dave", password=TEST_PASSWORD)
    assert post(credentials(plain)).status_code == 200
    assert post(credentials(totp_user, code=current_code(totp_user))).status_code == 200
    twostep_clock.advance(30)  # the next code
    assert two_step(totp_user, current_code(totp_user)).status_code == 200
    client, begun = begin_passkey()
    answer = key.assert_(begun["publicKey"])
    assert complete_passkey(client, begun["passkey_id"], answer).status_code == 200
    assert heard == []
    assert last_login(plain) is None and last_login(totp_user) is None
    assert last_login(key_user) is None
    assert ApiToken.objects.count() == 4 + 1  # and the one key_user's fixture registered with


# -- receivers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (RuntimeError("the audit log is down"), None, None),
        (PermissionDenied(), 403, "permission_denied"),
        (FlowError("invalid_credentials"), 401, "invalid_credentials"),
    ],
)
def test_a_receiver_that_raises_leaves_no_login_behind(totp_user, raised, status, code):
    """The tokens and ``last_login`` roll back with the receiver's failure: the client
    gets an error and no token, never a 500 with a pair in the database."""

    def receiver(sender, **kwargs):
        raise raised

    user_logged_in.connect(receiver, weak=False, dispatch_uid="tests.api.raises")
    try:
        data = credentials(totp_user, code=current_code(totp_user))
        if status is None:  # a server error: the test client re-raises it
            with pytest.raises(type(raised)):
                post(data)
        else:
            response = post(data)
            assert response.status_code == status and codes(response) == [code]
            assert "access_token" not in response.json()
    finally:
        user_logged_in.disconnect(dispatch_uid="tests.api.raises")
    assert not ApiToken.objects.filter(user=totp_user).exists()
    assert last_login(totp_user) is None  # Django's receiver ran first, rolled back too


API_ONLY_MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]


@override_settings(MIDDLEWARE=API_ONLY_MIDDLEWARE)
def test_receivers_do_not_need_a_session(totp_user, heard):
    """A site whose API runs without the session middleware: the request has no
    session, and the receivers connected (Django's, django-otp's, any of ours) do
    not need one."""
    response = post(credentials(totp_user, code=current_code(totp_user)))
    assert response.status_code == 200, response.content
    assert_heard_once(heard, totp_user, LOGIN)
    assert not hasattr(heard[0].request, "session")


def test_the_login_sets_no_session_cookie(totp_user, heard):
    """With the session middleware, no receiver writes to the API call's session."""
    response = post(credentials(totp_user, code=current_code(totp_user)))
    assert response.status_code == 200 and len(heard) == 1
    assert not response.cookies
