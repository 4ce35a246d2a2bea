"""The pages' login sends Django's ``user_logged_in`` exactly once, through
``django.contrib.auth.login()``: the API's own sending (tests/api/test_login_signal.py)
does not add a second one, and the password step of a two-step login sends none."""

# ruff: noqa: F811  (the fixtures imported from the WebAuthn helpers are arguments)

from __future__ import annotations

import json

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import Client, override_settings

from django_twostep.testing import current_code
from tests.methods.webauthn.api.helpers import key, key_user  # noqa: F401  (fixtures)
from tests.pages import page1, page2, url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def heard():
    """The users ``user_logged_in`` was sent for while the test runs, in order."""
    users: list = []

    def receiver(sender, request, user, **kwargs):
        assert request.session is not None  # the pages' login has one
        users.append(user.pk)

    user_logged_in.connect(receiver, weak=False, dispatch_uid="tests.pages.heard")
    yield users
    user_logged_in.disconnect(dispatch_uid="tests.pages.heard")


def test_a_two_step_page_login_is_heard_once(totp_user, heard):
    client = Client()
    assert page1(client, totp_user.get_username()).status_code == 302
    assert heard == []  # the password alone logs nobody in
    assert page2(client, current_code(totp_user)).status_code == 302
    assert heard == [totp_user.pk]


def test_a_page_login_without_a_method_is_heard_once(plain_user, heard):
    assert page1(Client(), plain_user.get_username()).status_code == 302
    assert heard == [plain_user.pk]


@override_settings(TWOSTEP_API_SEND_USER_LOGGED_IN=False)
def test_the_api_setting_leaves_the_pages_alone(plain_user, heard):
    assert page1(Client(), plain_user.get_username()).status_code == 302
    assert heard == [plain_user.pk]


def test_a_passkey_page_login_is_heard_once(key_user, key, heard):
    client = Client()
    options = client.post(url("login-passkey-options")).json()
    answer = json.dumps(key.assert_(options["publicKey"]))
    response = client.post(
        url("login-passkey"), {"passkey_id": options["passkey_id"], "credential": answer}
    )
    assert response.status_code == 302
    assert heard == [key_user.pk]
