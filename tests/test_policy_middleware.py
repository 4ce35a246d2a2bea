"""TwoStepMiddleware: the TWOSTEP_REQUIRED policy and the verified-only admin."""

from urllib.parse import urlencode

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_twostep import flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import SecurityEvent, TrustedBrowser
from django_twostep.testing import (
    TEST_PASSWORD,
    current_code,
    enroll_totp,
    login_verified,
    totp_for,
)
from tests.pages import page1, page2, url

pytestmark = pytest.mark.django_db

MIDDLEWARE = "django_twostep.middleware.TwoStepMiddleware"
OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "sam", password=TEST_PASSWORD, is_staff=True, is_superuser=True
    )


def setup_url(next_url=None):
    return url("totp-setup") + (f"?{urlencode({'next': next_url})}" if next_url else "")


# -- TWOSTEP_REQUIRED ----------------------------------------------------------------------


def test_required_user_goes_to_setup_right_after_page1(client, staff, settings):
    settings.TWOSTEP_REQUIRED = "staff"
    response = page1(client, "sam", next="/password/")
    assert response["Location"] == setup_url("/password/")


def test_required_user_reaches_only_the_two_factor_pages(client, staff, settings):
    settings.TWOSTEP_REQUIRED = "staff"
    client.force_login(staff)
    for path in ["/", "/password/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(url("totp-setup")), path
    assert client.get("/")["Location"] == setup_url("/")
    # A POST elsewhere is refused the same way, without a next to replay.
    assert client.post("/password/")["Location"] == setup_url()
    for name in ["settings", "totp-setup", "recovery-codes"]:
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("settings")).context["required"] is True
    assert client.post(url("logout"))["Location"] == "/"


def test_once_enrolled_the_user_goes_anywhere(client, staff, settings, twostep_clock):
    settings.TWOSTEP_REQUIRED = "staff"
    client.force_login(staff)
    client.get(url("totp-setup"))
    device = totp_flows.pending_totp(staff).device
    response = client.post(url("totp-setup"), {"code": totp_for(device).now()})
    assert response["Location"] == url("recovery-codes")
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200  # verified by the activation


def test_users_the_policy_does_not_cover_are_left_alone(client, plain_user, settings):
    settings.TWOSTEP_REQUIRED = "staff"
    client.force_login(plain_user)
    assert client.get("/").status_code == 200


def only_bob(user):
    return user.get_username() == "bob"


def test_callable_policy(client, plain_user, staff, settings):
    settings.TWOSTEP_REQUIRED = "tests.test_policy_middleware.only_bob"
    client.force_login(plain_user)
    assert client.get("/")["Location"] == setup_url("/")
    other = Client()
    other.force_login(staff)
    assert other.get("/").status_code == 200


def test_required_but_enrolled_unverified_session_passes(client, totp_user, settings):
    settings.TWOSTEP_REQUIRED = "tests.test_policy_middleware.only_alice"
    client.force_login(totp_user)  # e.g. logged in before the policy, not verified
    assert client.get("/").status_code == 200


def only_alice(user):
    return user.get_username() == "alice"


# -- query cost ------------------------------------------------------------------------------


def count_queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def without_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


def test_anonymous_request_costs_no_query(client, settings):
    assert MIDDLEWARE in settings.MIDDLEWARE
    assert count_queries(client, "/") == 0
    assert count_queries(client, url("login")) == 0


def test_middleware_adds_no_query_for_an_anonymous_session(client, totp_user, settings):
    page1(client)  # a pending login in the session: anonymous, with a session cookie
    with_middleware = count_queries(client, "/")
    without_middleware(settings)
    assert count_queries(client, "/") == with_middleware


def test_middleware_adds_no_query_without_a_policy(verified_client, settings):
    with_middleware = count_queries(verified_client, "/")
    without_middleware(settings)
    assert count_queries(verified_client, "/") == with_middleware


# -- the admin --------------------------------------------------------------------------------


def test_admin_login_page_sends_people_to_the_two_step_login(client):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response["Location"] == url("login") + "?next=%2Fadmin%2Fauth%2Fuser%2F"
    evil = client.get("/admin/login/?next=//evil.example")
    assert evil["Location"] == url("login") + "?next=%2Fadmin%2F"
    # Anonymous visitors of other admin pages take the same road.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(url("login"))


def test_admin_refuses_an_unverified_staff_session(client, staff, twostep_clock):
    enroll_totp(staff)
    twostep_clock.advance(60)
    client.force_login(staff)
    response = client.get("/admin/auth/user/")
    assert response["Location"] == url("verify") + "?next=%2Fadmin%2Fauth%2Fuser%2F"
    back = client.post(response["Location"], {"code": current_code(staff)})
    assert back["Location"] == "/admin/auth/user/"
    assert client.get("/admin/auth/user/").status_code == 200


def test_admin_sends_staff_without_a_method_to_setup(client, staff):
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == setup_url("/admin/")


def test_admin_after_two_page_login(client, staff, twostep_clock):
    enroll_totp(staff)
    twostep_clock.advance(60)
    page1(client, "sam", next="/admin/")
    assert page2(client, current_code(staff))["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.post("/admin/logout/")["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_admin_shows_security_events_read_only_and_trusted_browsers(staff, twostep_clock):
    enroll_totp(staff)
    twostep_clock.advance(60)
    client = login_verified(Client(), staff)
    flows.trust.trust_browser(staff)
    assert SecurityEvent.objects.exists()
    assert client.get("/admin/django_twostep/securityevent/").status_code == 200
    event = SecurityEvent.objects.first()
    assert client.get(f"/admin/django_twostep/securityevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/django_twostep/securityevent/add/").status_code == 403
    assert (
        client.post(
            f"/admin/django_twostep/securityevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get("/admin/django_twostep/trustedbrowser/").status_code == 200
    browser = TrustedBrowser.objects.get()
    page = client.get(f"/admin/django_twostep/trustedbrowser/{browser.pk}/change/")
    assert browser.digest not in page.content.decode()
    response = client.post(
        f"/admin/django_twostep/trustedbrowser/{browser.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302 and not TrustedBrowser.objects.exists()


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["otp first", "twostep first"])
def test_policy_works_beside_django_otps_middleware(client, staff, settings, order):
    """Sites that keep OTPMiddleware, before or after ours, get the same policy."""
    settings.TWOSTEP_REQUIRED = "staff"
    rest = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    after = rest.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    both = [OTP_MIDDLEWARE, MIDDLEWARE] if order == "otp first" else [MIDDLEWARE, OTP_MIDDLEWARE]
    settings.MIDDLEWARE = [*rest[:after], *both, *rest[after:]]
    assert not [e.id for e in run_checks() if e.id and e.id.startswith("django_twostep")]
    client.force_login(staff)
    assert client.get("/")["Location"] == setup_url("/")
    enroll_totp(staff)
    verified = Client()
    login_verified(verified, staff)
    assert verified.get("/admin/").status_code == 200
