"""No user enumeration: unknown, inactive and wrong-password logins look alike.

Same status, same body (but for the username echoed into the form), same
cookies set, and the password hasher runs once in each case, so the answer
takes as long (a counting hasher proves it runs; it is the only slow step).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from django_twostep.models import Challenge, UserThrottle
from django_twostep.testing import TEST_PASSWORD
from tests.api import hashers

pytestmark = pytest.mark.django_db

CASES = {
    "unknown user": ("nobody-at-all", TEST_PASSWORD),
    "inactive user": ("carol", TEST_PASSWORD),
    "inactive user, wrong password": ("carol", "not the password"),
    "wrong password": ("alice", "not the password"),
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def people(totp_user, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["tests.api.hashers.CountingMD5Hasher"]
    django_user_model.objects.create_user("carol", password=TEST_PASSWORD, is_active=False)
    return totp_user


def cookie_shapes(response) -> dict[str, dict]:
    """The cookies set, without their (random) values."""
    return {
        name: {key: morsel[key] for key in ("path", "max-age", "samesite", "httponly", "secure")}
        for name, morsel in response.cookies.items()
    }


def test_pages_answer_alike_and_always_hash(people):
    answers = {}
    for case, (username, password) in CASES.items():
        client = Client()
        client.get("/accounts/login/")
        hashers.reset()
        response = client.post("/accounts/login/", {"username": username, "password": password})
        body = CSRF_INPUT.sub("", response.content.decode()).replace(f'value="{username}"', "")
        answers[case] = (
            response.status_code,
            body,
            cookie_shapes(response),
            response.get("Cache-Control"),
            hashers.calls(),
            "_auth_user_id" in client.session,
        )
    reference = answers["wrong password"]
    assert reference[0] == 200 and reference[4] == 1 and reference[5] is False
    for case, answer in answers.items():
        assert answer == reference, case
    assert not Challenge.objects.exists()


def test_api_answers_alike_and_always_hashes(people):
    answers = {}
    for case, (username, password) in CASES.items():
        for extra in ({}, {"code": "123456"}):
            hashers.reset()
            response = APIClient().post(
                "/api/v1/auth/login",
                {"username": username, "password": password, **extra},
                format="json",
            )
            answers[case, bool(extra)] = (
                response.status_code,
                response.content,
                response.get("WWW-Authenticate"),
                response.get("Cache-Control"),
                sorted(response.cookies),
                hashers.calls(),
            )
    reference = answers["wrong password", False]
    assert reference[0] == 401 and reference[-1] == 1 and reference[-2] == []
    for case, answer in answers.items():
        assert answer == reference, case
    # No code was checked for any of them: nothing counts toward anyone's back-off.
    assert not UserThrottle.objects.filter(failures__gt=0).exists()
    assert not Challenge.objects.exists()


@pytest.mark.parametrize("target", ["alice", "nobody-at-all", "carol", "ALICE", "alice "])
def test_another_users_path_answers_alike_whether_they_exist_or_not(people, target):
    from django_twostep.flows import tokens

    django_user = type(people).objects.create_user("mallory", password=TEST_PASSWORD)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_tokens(django_user).access_token}")
    for method in ("get", "post", "patch", "delete"):
        for resource in ("otp", "recovery-codes"):
            response = getattr(api, method)(f"/api/v1/users/{target}/{resource}")
            if response.status_code == 405:
                continue
            assert response.status_code == 403, (method, resource)
            assert response.json()["errors"][0]["code"] == "permission_denied"
