"""A busy database is a 503, never a 500, and costs the user nothing (SPEC 4, "Details").

Another connection really holds the lock: on SQLite the write lock (the test
database is SQLite's shared in-memory cache, where a held lock is refused at
once), on PostgreSQL the tables a code check writes, with a short
``lock_timeout`` on ours. No mock of the database. The code is checked
afterwards with the same code, which must still work: nothing was spent, and
nothing counted for the back-off. The same under real load, through gunicorn,
is tests/adversarial/test_busy.py.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.models import Challenge, SecurityEvent, UserThrottle
from django_twostep.testing import TEST_PASSWORD, current_code
from tests import optional

from .pages import error_codes, page1, page2, url

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/api/v1/auth/login"
TABLES = ("django_twostep_userthrottle", "django_twostep_challenge", "django_twostep_securityevent")


@contextlib.contextmanager
def database_held() -> Iterator[None]:
    """Another connection holds what a code check must write, until the block ends."""
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        other = sqlite3.connect(name, uri=name.startswith("file:"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(f"UPDATE {TABLES[0]} SET failures = failures")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    params = connection.get_connection_params()
    other = optional.psycopg().connect(**params, autocommit=False)
    other.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")


def nothing_counted(user) -> None:
    row = UserThrottle.objects.filter(user=user).first()
    assert row is None or row.failures == 0
    assert not SecurityEvent.objects.filter(user=user, event__in=["code_failed", "throttled"])


def test_a_code_checked_while_the_database_is_busy_is_not_spent(totp_user, twostep_clock):
    code = current_code(totp_user)
    with database_held(), pytest.raises(FlowError) as refused:
        flows.verify_second_factor(totp_user, code)
    assert refused.value.code == "temporarily_unavailable"
    assert refused.value.status == 503 and refused.value.retry_after == 1
    nothing_counted(totp_user)
    assert flows.verify_second_factor(totp_user, code).method == "totp"


def test_the_api_answers_503_with_retry_after(totp_user, twostep_clock):
    api = APIClient()
    data = {"username": "alice", "password": TEST_PASSWORD}
    code = current_code(totp_user)
    with database_held():
        response = api.post(LOGIN, data, format="json", HTTP_X_OTP=code)
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "temporarily_unavailable"
    assert response["Retry-After"] == "1"
    nothing_counted(totp_user)
    assert api.post(LOGIN, data, format="json", HTTP_X_OTP=code).status_code == 200


def test_a_busy_error_outside_a_code_check_is_still_a_503_on_the_api(totp_user, twostep_clock):
    with database_held():
        response = APIClient().post(
            LOGIN, {"username": "alice", "password": TEST_PASSWORD}, format="json"
        )
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "temporarily_unavailable"
    assert response["Retry-After"] == "1"
    assert not Challenge.objects.filter(user=totp_user).exists()


def test_page_2_answers_503_and_the_same_code_then_logs_in(totp_user, twostep_clock):
    client = Client()
    page1(client, "alice")
    code = current_code(totp_user)
    with database_held():
        response = page2(client, code)
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert error_codes(response) == ["temporarily_unavailable"]
    nothing_counted(totp_user)
    assert Challenge.objects.get(user=totp_user).attempts_left == 5
    response = page2(client, code)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(totp_user.pk)  # logged in


def test_a_busy_error_outside_a_code_check_is_the_try_again_page(totp_user, twostep_clock):
    client = Client()
    with database_held():
        response = client.post(url("login"), {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert response.templates[0].name == "django_twostep/busy.html"
    assert response["Cache-Control"].startswith("max-age=0")
    assert page1(client, "alice").status_code == 302  # and then it works
