"""The authenticator app's pages: set-up (QR code, key, activation) and disable."""

import pyotp
import pytest

from django_twostep import flows, state
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import RecoveryCode, SecurityEvent, TOTPDevice, TrustedBrowser
from django_twostep.testing import current_code, wrong_code
from tests.optional import decode_qr
from tests.pages import error_codes, page1, page2, secret_on_page, url

pytestmark = pytest.mark.django_db


# -- set-up ------------------------------------------------------------------------------


def test_setup_page_shows_qr_key_and_link(bob_client, plain_user, twostep_clock):
    response = bob_client.get(url("totp-setup"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    enrollment = totp_flows.pending_totp(plain_user)
    html = response.content.decode()
    assert "<svg" in html and 'class="twostep-qr"' in html
    assert enrollment.secret_grouped in html
    assert secret_on_page(response) == enrollment.secret
    assert f'href="{enrollment.uri.replace("&", "&amp;")}"' in html
    assert url("totp-qr") in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    # Reloading shows the same secret (the phone may have scanned it already).
    assert secret_on_page(bob_client.get(url("totp-setup"))) == enrollment.secret


def test_png_qr_code_decodes_to_the_uri(bob_client, plain_user):
    bob_client.get(url("totp-setup"))
    response = bob_client.get(url("totp-qr"))
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    decoded = decode_qr(response.content)
    assert decoded == [totp_flows.pending_totp(plain_user).uri]


def test_png_without_a_pending_setup_goes_to_setup(bob_client):
    assert bob_client.get(url("totp-qr"))["Location"] == url("totp-setup")


def test_activating_verifies_the_session_and_shows_recovery_codes_once(
    bob_client, plain_user, twostep_clock
):
    secret = secret_on_page(bob_client.get(url("totp-setup")))
    response = bob_client.post(url("totp-setup"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == url("recovery-codes")
    assert flows.has_two_factor(plain_user)
    assert bob_client.get("/").context["verified"] is True
    assert SecurityEvent.objects.filter(user=plain_user, event="enabled").exists()

    shown = bob_client.get(url("recovery-codes"))
    codes = shown.context["codes"]
    assert len(codes) == 10 and shown.context["remaining"] == 10
    html = shown.content.decode()
    assert all(code in html for code in codes)
    assert "no-store" in shown["Cache-Control"]
    # Shown once: a reload no longer has them.
    again = bob_client.get(url("recovery-codes"))
    assert again.context["codes"] is None
    assert not any(code in again.content.decode() for code in codes)
    # They are real: one logs in.
    bob_client.post(url("logout"))
    page1(bob_client, "bob")
    assert page2(bob_client, codes[3])["Location"] == "/"


def test_setup_keeps_next_to_the_end(bob_client, twostep_clock):
    secret = secret_on_page(bob_client.get(url("totp-setup") + "?next=/password/"))
    response = bob_client.post(
        url("totp-setup") + "?next=/password/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response["Location"] == url("recovery-codes") + "?next=%2Fpassword%2F"
    page = bob_client.get(response["Location"])
    assert page.context["next"] == "/password/"
    done = bob_client.post(response["Location"], {"done": "1", "next": "/password/"})
    assert done["Location"] == "/password/"


def test_wrong_first_code_does_not_activate(bob_client, plain_user, twostep_clock):
    secret = secret_on_page(bob_client.get(url("totp-setup")))
    totp = pyotp.TOTP(secret)
    wrong = next(
        c
        for c in ("000000", "111111")
        if c not in {totp.at(twostep_clock.now + d) for d in (-30, 0, 30)}
    )
    response = bob_client.post(url("totp-setup"), {"code": wrong})
    assert response.status_code == 200
    assert error_codes(response) == ["invalid_code"]
    assert not flows.has_two_factor(plain_user)
    # The same secret stays on the page to try again; the back-off applies.
    assert secret_on_page(response) == secret
    throttled = bob_client.post(url("totp-setup"), {"code": totp.now()})
    assert throttled.status_code == 429 and error_codes(throttled) == ["too_many_attempts"]
    twostep_clock.advance(1)
    assert bob_client.post(url("totp-setup"), {"code": totp.now()})["Location"] == url(
        "recovery-codes"
    )


def test_restart_shows_a_new_key(bob_client, twostep_clock):
    first = secret_on_page(bob_client.get(url("totp-setup")))
    response = bob_client.post(url("totp-setup"), {"restart": "1"})
    assert response["Location"] == url("totp-setup")
    assert secret_on_page(bob_client.get(url("totp-setup"))) != first


def test_setup_when_already_on_goes_to_settings(verified_client):
    response = verified_client.get(url("totp-setup"))
    assert response["Location"] == url("settings")
    assert verified_client.post(url("totp-setup"), {"code": "123456"})["Location"] == url(
        "settings"
    )


# -- disable ----------------------------------------------------------------------------------


def test_disable_needs_a_right_code(verified_client, totp_user):
    response = verified_client.post(url("totp-disable"), {"code": wrong_code(totp_user)})
    assert error_codes(response) == ["invalid_code"]
    assert flows.has_two_factor(totp_user)


def test_disable_with_a_current_code_removes_everything(verified_client, totp_user):
    flows.trust.trust_browser(totp_user)
    assert verified_client.get(url("totp-disable")).status_code == 200
    response = verified_client.post(url("totp-disable"), {"code": current_code(totp_user)})
    assert response["Location"] == url("settings")
    assert response.cookies[state.TRUSTED_COOKIE_NAME].value == ""
    assert not TOTPDevice.objects.filter(user=totp_user).exists()
    assert not TrustedBrowser.objects.exists() and not RecoveryCode.objects.exists()
    assert SecurityEvent.objects.filter(user=totp_user, event="disabled").exists()
    # The next login is on one page.
    verified_client.post(url("logout"))
    assert page1(verified_client)["Location"] == "/"


def test_disable_with_a_recovery_code(verified_client, totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    response = verified_client.post(url("totp-disable"), {"code": codes[0]})
    assert response["Location"] == url("settings")
    assert not flows.has_two_factor(totp_user)


def test_disable_while_throttled_checks_no_code(verified_client, totp_user, twostep_clock):
    verified_client.post(url("totp-disable"), {"code": wrong_code(totp_user)})
    response = verified_client.post(url("totp-disable"), {"code": current_code(totp_user)})
    assert response.status_code == 429 and response["Retry-After"] == "1"
    assert flows.has_two_factor(totp_user)


def test_disable_page_without_a_method_goes_to_settings(bob_client):
    assert bob_client.get(url("totp-disable"))["Location"] == url("settings")
