"""The recovery-code pages: a new set shown once and downloadable while fresh, regenerating."""

from types import SimpleNamespace

import pyotp
import pytest
from django.contrib.sessions.models import Session

from django_twostep import flows, state
from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.models import RecoveryCode
from tests.pages import error_codes, secret_on_page, url

pytestmark = pytest.mark.django_db


# -- shown once, after activation ---------------------------------------------------------


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
