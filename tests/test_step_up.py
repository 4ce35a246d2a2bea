"""Step-up: the decorator, the mixin and the twostep:verify page."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from django_twostep import flows, state
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import TOTPDevice
from django_twostep.testing import current_code, wrong_code
from tests.pages import error_codes, url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

GRACE = 1800


def verify_url(next_url):
    return f"{url('verify')}?{urlencode({'next': next_url})}"


@pytest.mark.parametrize("path", ["/password/", "/sensitive/"])
def test_anonymous_users_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(url("login") + "?next=")


@pytest.mark.parametrize("path", ["/password/", "/sensitive/"])
def test_fresh_verification_goes_through(verified_client, path):
    assert verified_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/password/", "/sensitive/"])
def test_after_the_grace_period_a_code_is_asked_then_back(
    verified_client, totp_user, twostep_clock, path
):
    twostep_clock.advance(GRACE - 1)
    assert verified_client.get(path).status_code == 200
    twostep_clock.advance(1)
    response = verified_client.get(path)
    assert response["Location"] == verify_url(path)

    page = verified_client.get(response["Location"])
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert 'autocomplete="one-time-code"' in html and f'value="{path}"' in html

    back = verified_client.post(response["Location"], {"code": current_code(totp_user)})
    assert back["Location"] == path
    assert verified_client.get(path).status_code == 200


def test_step_up_grace_follows_the_setting(verified_client, twostep_clock, settings):
    settings.TWOSTEP_STEP_UP_GRACE = 60
    twostep_clock.advance(60)
    assert verified_client.get("/sensitive/")["Location"] == verify_url("/sensitive/")


def test_a_post_needing_step_up_is_not_run(verified_client, twostep_clock):
    twostep_clock.advance(GRACE)
    response = verified_client.post("/sensitive/")
    assert response.status_code == 302 and response["Location"] == verify_url("/sensitive/")


def test_wrong_code_on_verify_is_a_field_error(verified_client, totp_user, twostep_clock):
    twostep_clock.advance(GRACE)
    response = verified_client.post(verify_url("/password/"), {"code": wrong_code(totp_user)})
    assert response.status_code == 200 and error_codes(response) == ["invalid_code"]
    assert verified_client.get("/password/")["Location"] == verify_url("/password/")
    throttled = verified_client.post(verify_url("/password/"), {"code": current_code(totp_user)})
    assert throttled.status_code == 429 and error_codes(throttled) == ["too_many_attempts"]
    assert throttled["Retry-After"] == "1"


def test_recovery_code_steps_up_too(verified_client, totp_user, twostep_clock):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    twostep_clock.advance(GRACE)
    page = verified_client.get(verify_url("/password/") + "&method=recovery")
    assert 'inputmode="text"' in page.content.decode()
    response = verified_client.post(verify_url("/password/"), {"code": codes[0]})
    assert response["Location"] == "/password/"


def test_replayed_code_does_not_step_up(verified_client, totp_user, twostep_clock):
    twostep_clock.advance(GRACE)
    code = current_code(totp_user)
    flows.verify_second_factor(totp_user, code)  # used a moment ago, elsewhere
    response = verified_client.post(verify_url("/password/"), {"code": code})
    assert error_codes(response) == ["invalid_code"]
    assert verified_client.get("/password/")["Location"] == verify_url("/password/")


@pytest.mark.parametrize(
    "evil", ["//evil.example", "https://evil.example", "javascript:alert(1)", "\\\\evil.example"]
)
def test_verify_never_redirects_off_site(verified_client, totp_user, twostep_clock, evil):
    twostep_clock.advance(GRACE)
    response = verified_client.post(verify_url(evil), {"code": current_code(totp_user)})
    assert response["Location"] == url("settings")


def test_verify_marks_an_unverified_session_verified(client, totp_user):
    client.force_login(totp_user)
    assert client.get("/").context["verified"] is False
    response = client.post(url("verify"), {"code": current_code(totp_user)})
    assert response["Location"] == url("settings")
    assert client.get("/").context["verified"] is True
    assert state.VERIFIED_AT_KEY in client.session


def test_user_without_a_method_has_nothing_to_step_up_to(client, plain_user):
    client.force_login(plain_user)
    assert client.get("/password/").status_code == 200
    assert client.get(verify_url("/password/"))["Location"] == "/password/"


def test_required_user_without_a_method_is_sent_to_setup(client, plain_user, settings):
    settings.TWOSTEP_REQUIRED = "tests.test_step_up.only_bob"
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "django_twostep.middleware.TwoStepMiddleware"
    ]
    client.force_login(plain_user)
    response = client.get("/sensitive/")
    assert response["Location"] == f"{url('totp-setup')}?next=%2Fsensitive%2F"


def only_bob(user):
    return user.get_username() == "bob"


def test_change_password_voids_trusted_browsers(verified_client, totp_user):
    flows.trust.trust_browser(totp_user)
    response = verified_client.post(
        "/password/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": "a different long passphrase 42",
            "new_password2": "a different long passphrase 42",
        },
    )
    assert response["Location"] == "/"
    assert flows.trust.trusted_browsers(totp_user.__class__.objects.get(pk=totp_user.pk)) == []
    # Still logged in, and still verified, after the change.
    assert verified_client.get("/").context["verified"] is True
    assert TOTPDevice.objects.filter(user=totp_user).exists()
    assert Client().get("/password/").status_code == 302
