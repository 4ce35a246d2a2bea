"""Managing two-step login through the pages: set-up, recovery codes, disable, settings."""

import io
import re
from types import SimpleNamespace

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from django_twostep import flows, state
from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import RecoveryCode, SecurityEvent, TOTPDevice, TrustedBrowser
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified, wrong_code
from tests.pages import error_codes, page1, page2, url

pytestmark = pytest.mark.django_db

MANAGEMENT_PAGES = ["settings", "totp-setup", "totp-disable", "recovery-codes", "verify"]


@pytest.fixture
def bob_client(plain_user):
    client = Client()
    client.force_login(plain_user)
    return client


def secret_on_page(response) -> str:
    html = response.content.decode()
    match = re.search(r'<code id="twostep-secret"[^>]*>([A-Z2-7 ]+)</code>', html)
    assert match, "no manual key on the page"
    return match.group(1).replace(" ", "")


@pytest.mark.parametrize("name", [*MANAGEMENT_PAGES, "totp-qr", "recovery-codes-download"])
def test_management_pages_need_a_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(url("login") + "?next=")


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
    try:
        from PIL import Image
        from pyzbar.pyzbar import decode
    except ImportError as exc:
        pytest.skip(f"zbar not available ({exc})")
    symbols = decode(Image.open(io.BytesIO(response.content)))
    assert [s.data.decode() for s in symbols] == [totp_flows.pending_totp(plain_user).uri]


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


def test_fresh_codes_are_sealed_in_the_session(bob_client, plain_user, twostep_clock):
    secret = secret_on_page(bob_client.get(url("totp-setup")))
    bob_client.post(url("totp-setup"), {"code": pyotp.TOTP(secret).now()})
    codes = state.fresh_recovery_codes(SimpleNamespace(session=bob_client.session))
    assert codes and len(codes) == 10
    stored = " ".join(str(s.get_decoded()) + s.session_data for s in Session.objects.all())
    assert not any(code in stored for code in codes)


def test_download_codes_as_text_while_fresh(bob_client, plain_user, twostep_clock):
    secret = secret_on_page(bob_client.get(url("totp-setup")))
    bob_client.post(url("totp-setup"), {"code": pyotp.TOTP(secret).now()})
    codes = bob_client.get(url("recovery-codes")).context["codes"]
    response = bob_client.get(url("recovery-codes-download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert all(code in text for code in codes)
    # "I have saved them" ends the download.
    done = bob_client.post(url("recovery-codes"), {"done": "1"})
    assert done["Location"] == url("settings")
    assert bob_client.get(url("recovery-codes-download"))["Location"] == url("recovery-codes")


def test_download_ends_after_ten_minutes(bob_client, twostep_clock):
    secret = secret_on_page(bob_client.get(url("totp-setup")))
    bob_client.post(url("totp-setup"), {"code": pyotp.TOTP(secret).now()})
    twostep_clock.advance(flows.FRESH_CODES_SHOWN_FOR + 1)
    assert bob_client.get(url("recovery-codes-download"))["Location"] == url("recovery-codes")
    assert bob_client.get(url("recovery-codes")).context["codes"] is None


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


# -- recovery codes ------------------------------------------------------------------------


def test_recovery_codes_page_counts_what_is_left(verified_client, totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    flows.verify_second_factor(totp_user, codes[0])
    response = verified_client.get(url("recovery-codes"))
    assert response.context["remaining"] == 9
    assert 'data-remaining="9"' in response.content.decode()
    assert response.context["codes"] is None


def test_regenerating_needs_confirmation(verified_client, totp_user):
    before = set(RecoveryCode.objects.values_list("digest", flat=True))
    response = verified_client.post(url("recovery-codes"), {})
    assert error_codes(response, "confirm") == ["required"]
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == before


def test_regenerating_replaces_the_set_and_shows_it_once(verified_client, totp_user, twostep_clock):
    old = recovery_flows.generate_recovery_codes(totp_user)
    response = verified_client.post(url("recovery-codes"), {"confirm": "on"})
    assert response["Location"] == url("recovery-codes")
    new = verified_client.get(url("recovery-codes")).context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert verified_client.get(url("recovery-codes")).context["codes"] is None
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(totp_user, old[0])
    assert error.value.code == "invalid_code"
    twostep_clock.advance(1)  # the back-off after that wrong code
    assert flows.verify_second_factor(totp_user, new[0]).method == "recovery_code"


def test_regenerating_needs_a_fresh_code(verified_client, totp_user, twostep_clock):
    twostep_clock.advance(1801)
    before = set(RecoveryCode.objects.values_list("digest", flat=True))
    response = verified_client.post(url("recovery-codes"), {"confirm": "on"})
    assert response["Location"] == (
        url("verify") + "?next=%2Faccounts%2Ftwo-factor%2Frecovery-codes%2F"
    )
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == before


def test_regenerating_without_a_method_is_refused(bob_client):
    page = bob_client.get(url("recovery-codes"))
    assert page.context["enabled"] is False
    response = bob_client.post(url("recovery-codes"), {"confirm": "on"})
    assert response["Location"] == url("settings")
    messages = list(bob_client.get(url("settings")).context["messages"])
    assert "twostep-not_enrolled" in messages[0].tags
    assert not RecoveryCode.objects.exists()


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


# -- settings ------------------------------------------------------------------------------


def test_settings_page_shows_state_browsers_and_activity(totp_user, django_user_model):
    other = django_user_model.objects.create_user("eve", password=TEST_PASSWORD)
    flows.events.record("code_failed", other, method="totp")
    client = Client()
    page1(client)
    client.post(
        url("login-code"),
        {"code": current_code(totp_user), "remember": "on"},
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    response = client.get(url("settings"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    context = response.context
    assert context["two_factor"].methods == ["totp"]
    assert [b.user_id for b in context["trusted_browsers"]] == [totp_user.pk]
    events = [item["event"].event for item in context["activity"]]
    assert events[:3] == ["trusted_browser_added", "verified", "challenge_created"]
    assert all(item["event"].user_id == totp_user.pk for item in context["activity"])
    html = response.content.decode()
    assert 'data-event="trusted_browser_added"' in html
    assert 'data-state="on"' in html
    assert url("totp-disable") in html and url("recovery-codes") in html
    assert url("trusted-browsers-forget") in html


def test_settings_page_without_a_method_links_to_setup(bob_client):
    response = bob_client.get(url("settings"))
    html = response.content.decode()
    assert 'data-state="off"' in html and url("totp-setup") in html
    assert url("totp-disable") not in html


def test_login_verified_helper_is_fresh_for_step_up(totp_user):
    client = login_verified(Client(), totp_user)
    assert client.get("/password/").status_code == 200
