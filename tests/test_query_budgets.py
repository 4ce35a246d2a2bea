"""Query budgets of a complete two-step login (SPEC section 6), request by request.

A complete login is what a browser does: GET page 1, POST the password, GET
page 2, POST the code, GET the first protected page. Counted without
transaction control (SAVEPOINT/RELEASE here; BEGIN/COMMIT outside a test).

Two session engines. Django's database sessions add their own queries to every
request that reads or writes a session (every login library pays them alike:
``login()`` alone checks, inserts, deletes and updates a session row). With
signed-cookie sessions what is left is django-twostep's own work and
``django.contrib.auth``'s (the user, ``last_login``).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_twostep.models import Challenge, UserThrottle
from django_twostep.testing import current_code, enroll_totp
from tests.pages import page1, page2, statements, url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"
PROTECTED = "/whoami/"  # login_required; asks nothing about the second factor
ASKS = "/asks/"  # asks request.user.is_verified(), as django-otp's decorators do


def complete_login(user) -> dict[str, list[str]]:
    """One complete login in a fresh browser: the SQL of each request."""
    client = Client(enforce_csrf_checks=False)
    found: dict[str, list[str]] = {}

    def step(label, call, *, goes_to=None):
        with CaptureQueriesContext(connection) as captured:
            response = call()
        if goes_to is None:
            assert response.status_code == 200, (label, response.status_code)
        else:
            assert response.get("Location") == goes_to, (label, response.status_code)
        found[label] = statements(captured.captured_queries)

    step("GET page 1", lambda: client.get(url("login")))
    step(
        "POST page 1",
        lambda: page1(client, user.username, next=PROTECTED),
        goes_to=url("login-code"),
    )
    step("GET page 2", lambda: client.get(url("login-code")))
    code = current_code(user)  # read before the step: the helper queries the device
    step("POST page 2", lambda: page2(client, code), goes_to=PROTECTED)
    step("GET protected", lambda: client.get(PROTECTED))
    step("GET asks", lambda: client.get(ASKS))
    assert client.get(ASKS).content.decode() == f"{user.username} True"
    return found


def counts(found):
    return {label: len(sql) for label, sql in found.items()}


def ours(sql_list):
    return [sql for sql in sql_list if '"django_twostep_' in sql]


COOKIE_SESSION_COUNTS = {
    "GET page 1": 0,
    "POST page 1": 4,  # the user (authenticate); its methods; the challenge; its event
    "GET page 2": 0,  # drawn from the session alone
    "POST page 2": 5,  # see test_page2_post_budget
    "GET protected": 1,  # the user; the device is not read until someone asks
    # The user, whose query also tells whether the session's device still verifies
    # it: as many as the same page costs on a site without two-step login.
    "GET asks": 1,
}


def test_complete_login_with_cookie_sessions_within_ten_queries(totp_user, settings):
    settings.SESSION_ENGINE = COOKIE_SESSIONS
    found = complete_login(totp_user)
    assert counts(found) == COOKIE_SESSION_COUNTS, found
    assert sum(counts(found).values()) - counts(found)["GET asks"] <= 10
    assert len(found["POST page 2"]) <= 6


def test_complete_login_with_database_sessions(totp_user):
    """The same login, plus Django's session queries: one to read the session in
    each request that has one, two to create it on page 1, five more for
    ``login()``'s new key and the final save on page 2."""
    found = complete_login(totp_user)
    assert counts(found) == {
        "GET page 1": 0,
        "POST page 1": 6,
        "GET page 2": 1,
        "POST page 2": 11,
        "GET protected": 2,
        "GET asks": 2,
    }, found
    without_sessions = {
        label: [sql for sql in queries if '"django_session"' not in sql]
        for label, queries in found.items()
    }
    assert counts(without_sessions) == COOKIE_SESSION_COUNTS


def test_page2_post_budget(totp_user, django_user_model, twostep_clock, settings):
    """Page 2 POST: the challenge, its user, their back-off row (locked) and their
    active TOTP device in one query; the challenge claimed for this attempt; the
    time step used up; the 'verified' event; ``last_login``. However many users
    and devices exist."""
    settings.SESSION_ENGINE = COOKIE_SESSIONS
    first = complete_login(totp_user)["POST page 2"]
    assert len(ours(first)) == 4 and len(first) == 5, first
    for n in range(20):
        enroll_totp(django_user_model.objects.create_user(f"user{n}", password="pw"))
    Challenge.objects.all().delete()
    twostep_clock.advance(30)  # the next code
    again = complete_login(totp_user)["POST page 2"]
    assert len(again) == 5, again


def test_a_user_without_a_backoff_row_yet(totp_user, settings):
    """A user whose back-off row does not exist yet (imported, say): the one-query
    lookup finds nothing, then the challenge is read, the row created and
    locked, and the devices read separately (5 more); the login works the same."""
    settings.SESSION_ENGINE = COOKIE_SESSIONS
    UserThrottle.objects.filter(user=totp_user).delete()
    found = complete_login(totp_user)["POST page 2"]
    assert len(found) == 10, found
    assert UserThrottle.objects.filter(user=totp_user).exists()
