"""The two-page login through Django's test client: page 1, page 2, logout."""

import logging

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from django_twostep import flows, state
from django_twostep.flows import login as login_flows
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import Challenge, SecurityEvent, TOTPDevice, UserThrottle
from django_twostep.testing import (
    TEST_PASSWORD,
    current_code,
    log_in_on_two_pages,
    wrong_code,
)
from tests.pages import assert_stays_on_site, error_codes, page1, page2, url

pytestmark = pytest.mark.django_db


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


# -- page 1 ------------------------------------------------------------------------------


def test_page1_renders_a_login_form(client):
    response = client.get(url("login"))
    assert response.status_code == 200
    html = response.content.decode()
    # "webauthn": the browser offers passkeys in the field's autofill (passkey login is on).
    assert 'autocomplete="username webauthn"' in html
    assert 'autocomplete="current-password"' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "no-store" in response["Cache-Control"]


def test_user_without_a_method_is_logged_in_on_page1(client, plain_user):
    response = page1(client, "bob")
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(client) == str(plain_user.pk)
    assert not Challenge.objects.exists()


def test_page1_never_authenticates_a_two_factor_user(client, totp_user):
    response = page1(client)
    assert response.status_code == 302 and response["Location"] == url("login-code")
    assert logged_in_user_id(client) is None
    assert client.get("/").context["user"].is_authenticated is False
    # Pages behind a login still send this browser to page 1.
    settings_page = client.get(url("settings"))
    assert settings_page.status_code == 302 and settings_page["Location"].startswith(url("login"))
    assert Challenge.objects.filter(user=totp_user, consumed_at__isnull=True).count() == 1


def test_page1_cycles_a_planted_session_key(client, totp_user):
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    page1(client)
    assert client.session.session_key != planted
    assert not Session.objects.filter(session_key=planted).exists()


@pytest.mark.parametrize("case", ["unknown", "inactive", "wrong_password"])
def test_unknown_inactive_and_wrong_password_get_the_same_answer(client, totp_user, case):
    reference = page1(Client(), "alice", "not the password")
    if case == "inactive":
        totp_user.is_active = False
        totp_user.save()
        response = page1(client, "alice", TEST_PASSWORD)
    elif case == "unknown":
        response = page1(client, "nobody-here", "not the password")
    else:
        response = page1(client, "alice", "also not the password")
    assert response.status_code == reference.status_code == 200
    assert error_codes(response, None) == error_codes(reference, None) == ["invalid_credentials"]
    assert sorted(response.cookies) == sorted(reference.cookies)
    assert "sessionid" not in response.cookies
    assert not Challenge.objects.exists()
    assert logged_in_user_id(client) is None


def test_page1_shows_why_the_user_is_back(client, totp_user, twostep_clock, settings):
    settings.TWOSTEP_CHALLENGE_TTL = 60
    page1(client)
    twostep_clock.advance(61)
    response = client.get(url("login-code"), follow=True)
    assert response.context["notice"] == "two_factor_expired"
    assert 'data-notice="two_factor_expired"' in response.content.decode()
    # Said once.
    assert client.get(url("login")).context["notice"] is None


# -- page 2 ------------------------------------------------------------------------------


def test_page2_without_a_pending_login_goes_to_page1(client):
    assert client.get(url("login-code"))["Location"] == url("login")
    assert page2(client, "123456")["Location"] == url("login")


def test_page2_shows_a_one_time_code_field(client, totp_user):
    page1(client)
    response = client.get(url("login-code"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "autofocus" in html and 'for="id_code"' in html
    assert 'name="remember"' in html
    assert [m.key for m in response.context["other_methods"]] == ["recovery_code"]
    assert response.context["methods"] == ["totp"]


def test_right_code_logs_in_verified_with_a_new_session_key(client, totp_user):
    page1(client)
    pending_key = client.session.session_key
    response = page2(client, current_code(totp_user))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.session_key != pending_key
    assert logged_in_user_id(client) == str(totp_user.pk)
    assert state.PENDING_KEY not in client.session
    home = client.get("/")
    assert home.context["verified"] is True
    assert [e.event for e in flows.events.recent(totp_user)][:2] == [
        "verified",
        "challenge_created",
    ]


def test_next_survives_both_pages(client, totp_user):
    response = page1(client, next="/password/?tab=1")
    assert response["Location"] == url("login-code")
    assert page2(client, current_code(totp_user))["Location"] == "/password/?tab=1"


def test_wrong_code_shows_an_error_tied_to_the_field(client, totp_user):
    page1(client)
    response = page2(client, wrong_code(totp_user))
    assert response.status_code == 200
    assert error_codes(response) == ["invalid_code"]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_code_helptext id_code_error"' in html
    assert 'id="id_code_error"' in html
    assert wrong_code(totp_user) not in html  # the refused code is not echoed back
    assert logged_in_user_id(client) is None
    assert Challenge.objects.get().attempts_left == 4


def test_empty_and_oversized_codes_are_field_errors(client, totp_user, match_calls):
    page1(client)
    assert error_codes(page2(client, "")) == ["required"]
    assert error_codes(page2(client, "1" * 65)) == ["max_length"]
    assert match_calls == []
    assert Challenge.objects.get().attempts_left == 5


def test_throttled_user_sees_the_wait_and_no_code_is_checked(
    client, totp_user, twostep_clock, match_calls
):
    page1(client)
    page2(client, wrong_code(totp_user))
    compared = len(match_calls)
    device = TOTPDevice.objects.get(user=totp_user)
    right = current_code(totp_user)

    response = page2(client, right)
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert error_codes(response) == ["too_many_attempts"]
    error = response.context["form"].errors.as_data()["code"][0]
    assert error.params == {"seconds": 1}
    assert "1 second" in str(error.message % error.params)
    assert len(match_calls) == compared  # no code compared
    assert Challenge.objects.get().attempts_left == 4  # not an attempt
    assert TOTPDevice.objects.get(pk=device.pk).last_t == device.last_t  # code not used up
    assert UserThrottle.objects.get(user=totp_user).failures == 1

    # The page itself says how long to wait.
    shown = client.get(url("login-code"))
    assert shown.context["wait"] == 1 and 'data-wait="1"' in shown.content.decode()

    twostep_clock.advance(1)
    assert page2(client, right)["Location"] == "/"


def test_challenge_is_burned_after_max_attempts(client, totp_user, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0  # only the challenge's own budget here
    page1(client, next="/password/")
    for left in (4, 3, 2, 1):
        response = page2(client, wrong_code(totp_user))
        assert error_codes(response) == ["invalid_code"]
        assert Challenge.objects.get().attempts_left == left
    response = page2(client, wrong_code(totp_user))
    assert response.status_code == 302
    assert response["Location"] == url("login") + "?next=%2Fpassword%2F"
    assert state.PENDING_KEY not in client.session
    again = client.get(response["Location"])
    assert again.context["notice"] == "attempts_exhausted"
    # The right code no longer helps: the login must start over.
    assert page2(client, current_code(totp_user))["Location"] == url("login")
    assert logged_in_user_id(client) is None


def test_a_challenge_killed_elsewhere_is_noticed_when_a_code_is_posted(client, totp_user):
    """Page 2 is drawn from the session alone; the database decides on POST."""
    page1(client)
    totp_user.set_password("changed-elsewhere-1")
    totp_user.save()
    assert client.get(url("login-code")).status_code == 200
    response = page2(client, current_code(totp_user))
    assert response["Location"] == url("login")
    assert client.get(url("login")).context["notice"] == "two_factor_expired"
    assert logged_in_user_id(client) is None


def test_expired_challenge_sends_the_user_back_to_page1(client, totp_user, twostep_clock):
    page1(client)
    twostep_clock.advance(301)
    response = page2(client, current_code(totp_user))
    assert response["Location"] == url("login")
    assert client.get(url("login")).context["notice"] == "two_factor_expired"
    assert logged_in_user_id(client) is None


def test_password_change_between_the_pages_kills_the_login(client, totp_user):
    page1(client)
    totp_user.set_password("something else entirely")
    totp_user.save()
    assert page2(client, current_code(totp_user))["Location"] == url("login")
    assert logged_in_user_id(client) is None


def test_replayed_code_is_refused(totp_user):
    code = current_code(totp_user)
    first, second = Client(), Client()
    page1(first)
    page1(second)
    assert page2(first, code)["Location"] == "/"
    response = page2(second, code)
    assert error_codes(response) == ["invalid_code"]
    assert logged_in_user_id(second) is None


def test_a_recovery_code_works_once(totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    first, second = Client(), Client()
    page1(first)
    recovery_page = first.get(url("login-code") + "?method=recovery")
    html = recovery_page.content.decode()
    assert 'inputmode="text"' in html and 'inputmode="numeric"' not in html
    assert [m.key for m in recovery_page.context["other_methods"]] == ["totp"]
    response = page2(first, codes[0].upper(), query="?method=recovery")
    assert response["Location"] == "/"
    assert first.get("/").context["verified"] is True
    assert SecurityEvent.objects.filter(user=totp_user, event="recovery_code_used").count() == 1

    page1(second)
    assert error_codes(page2(second, codes[0], query="?method=recovery")) == ["invalid_code"]
    assert flows.recovery_codes_remaining(totp_user) == 9


def test_any_kind_of_code_is_accepted_in_either_field(totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    numeric, text = Client(), Client()
    page1(numeric)
    assert page2(numeric, codes[1])["Location"] == "/"  # recovery code in the numeric field
    page1(text)
    assert page2(text, current_code(totp_user), query="?method=recovery")["Location"] == "/"


def test_logout_is_post_only(verified_client):
    assert verified_client.get(url("logout")).status_code == 405
    response = verified_client.post(url("logout"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(verified_client) is None


def test_log_in_on_two_pages_helper(client, totp_user):
    response = log_in_on_two_pages(client, totp_user)
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(totp_user.pk)


# -- attacks ----------------------------------------------------------------------------

EVIL_NEXT = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/path",
    "https:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "http:\\\\evil.example",
    "\t//evil.example",
    " //evil.example",
    "https://testserver@evil.example",
    "https://evil.example\\@testserver",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
]

# The same values as a raw (percent-encoded) query string, decoded by Django.
EVIL_QUERIES = [
    "?next=%2F%2Fevil.example",
    "?next=https%3A%2F%2Fevil.example",
    "?next=%5C%5Cevil.example",
    "?next=%2F%5Cevil.example",
    "?next=javascript%3Aalert(1)",
    "?next=%09%2F%2Fevil.example",
    "?next=%252F%252Fevil.example",
]


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_never_leaves_the_site_on_page1(client, plain_user, evil):
    login_page = client.get(url("login"), {"next": evil})
    assert (
        'name="next"' not in login_page.content.decode()
        or evil.startswith("%")
        or (evil.startswith("/%"))
    )
    response = page1(client, "bob", next=evil)
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("query", EVIL_QUERIES)
def test_encoded_next_never_leaves_the_site(client, plain_user, query):
    response = page1(client, "bob", query=query)
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("evil", EVIL_NEXT + [q.removeprefix("?next=") for q in EVIL_QUERIES])
def test_next_never_leaves_the_site_after_page2(client, totp_user, evil):
    page1(client, next=evil)
    response = page2(client, current_code(totp_user))
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


def test_csrf_is_enforced_on_both_pages_and_logout(totp_user):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "alice", "password": TEST_PASSWORD}
    assert client.post(url("login"), data).status_code == 403
    assert not Challenge.objects.exists()

    client.get(url("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(url("login"), {**data, "csrfmiddlewaretoken": token})
    assert response["Location"] == url("login-code")

    code = current_code(totp_user)
    last_t = TOTPDevice.objects.get(user=totp_user).last_t
    assert client.post(url("login-code"), {"code": code}).status_code == 403
    assert Challenge.objects.get().attempts_left == 5
    assert TOTPDevice.objects.get(user=totp_user).last_t == last_t  # the code was not used
    token = client.cookies["csrftoken"].value
    response = client.post(url("login-code"), {"code": code, "csrfmiddlewaretoken": token})
    assert response["Location"] == "/"

    assert client.post(url("logout")).status_code == 403
    assert logged_in_user_id(client) == str(totp_user.pk)


def test_no_code_secret_or_challenge_id_in_logs_urls_or_headers(
    client, totp_user, caplog, monkeypatch, twostep_clock
):
    caplog.set_level(logging.DEBUG)
    issued = []
    original = login_flows.begin_login

    def spy(user, **kwargs):
        pending = original(user, **kwargs)
        issued.append(pending.id)
        return pending

    monkeypatch.setattr(login_flows, "begin_login", spy)
    recovery = recovery_flows.generate_recovery_codes(totp_user)
    secret = TOTPDevice.objects.get(user=totp_user).base32_key
    bad = wrong_code(totp_user)
    good = current_code(totp_user)

    responses = [page1(client), client.get(url("login-code"))]
    responses.append(page2(client, bad))
    twostep_clock.advance(1)
    responses.append(page2(client, good, remember="on"))
    responses.append(client.get(url("settings")))
    other = Client()
    responses.append(page1(other))
    responses.append(page2(other, recovery[0]))

    token = client.cookies[state.TRUSTED_COOKIE_NAME].value
    secrets = [good, bad, secret, *issued, *recovery, token.split(":")[0]]
    assert len(issued) == 2
    urls_and_locations = " ".join(
        [r.request["PATH_INFO"] + "?" + r.request.get("QUERY_STRING", "") for r in responses]
        + [r.get("Location", "") for r in responses]
    )
    session_data = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    for value in secrets:
        assert value not in caplog.text
        assert value not in urls_and_locations
        assert value not in session_data
        assert value not in repr(list(SecurityEvent.objects.values()))
    for value in [good, bad, secret, *issued, *recovery]:
        for response in responses:
            assert value not in str(response.headers)
            assert value not in " ".join(c.value for c in response.cookies.values())


def test_password_and_code_are_hidden_from_error_reports(client, totp_user):
    response = page1(client)
    assert set(response.wsgi_request.sensitive_post_parameters) == {"password", "code"}
    response = page2(client, wrong_code(totp_user))
    assert set(response.wsgi_request.sensitive_post_parameters) == {"password", "code"}


def test_pages_protect_themselves_without_the_csrf_middleware(totp_user, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "django.middleware.csrf.CsrfViewMiddleware"
    ]
    client = Client(enforce_csrf_checks=True)
    assert page1(client).status_code == 403
    verified = Client(enforce_csrf_checks=True)
    verified.force_login(totp_user)
    for name in ["logout", "totp-disable", "verify", "trusted-browsers-forget", "recovery-codes"]:
        assert verified.post(url(name), {"code": "123456"}).status_code == 403, name


@pytest.mark.parametrize(
    "stored", [{"id": "not sealed"}, {"id": None}, "a string", {"backend": "x"}, 42]
)
def test_unreadable_pending_state_starts_again(client, totp_user, stored):
    session = client.session
    session[state.PENDING_KEY] = stored
    session.save()
    assert client.get(url("login-code"))["Location"] == url("login")
    assert page2(client, current_code(totp_user))["Location"] == url("login")
    assert logged_in_user_id(client) is None
