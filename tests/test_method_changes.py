"""Changing second factors on the pages needs a fresh second factor (SPEC 4, 2026-12-03).

The attacker here holds the password only: their session logged in before the
owner enrolled, or through a page that never asked for a code. Once the user
has a method, that session cannot add, re-key or remove one, or regenerate
recovery codes, until it passes step-up; the first method needs no step-up,
and only its activation verifies the session. The API twin of this file is
tests/api/test_method_changes.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client

from django_twostep import clock, flows, state
from django_twostep.methods.email import flows as email_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import EmailDevice, RecoveryCode, TOTPDevice
from django_twostep.testing import current_code, login_verified, totp_for

from .pages import error_codes, mailed_code, url

pytestmark = pytest.mark.django_db

GRACE = 1800


@pytest.fixture
def staff_erin(erin):
    erin.is_staff = erin.is_superuser = True
    erin.save()
    return erin


def unverified(user) -> Client:
    """A session that knows the password and never passed a second factor."""
    client = Client()
    client.force_login(user)
    return client


def assert_sent_to_step_up(response, back_to: str) -> None:
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == url("verify")
    assert urlsplit(parse_qs(parts.query)["next"][0]).path == back_to


def verified_at(client: Client):
    return client.session.get(state.VERIFIED_AT_KEY)


# -- the holes, attacked ---------------------------------------------------------------


def test_an_unverified_session_cannot_start_a_second_method(erin):
    client = unverified(erin)
    for response in (client.get(url("totp-setup")), client.post(url("totp-setup"), {"code": "1"})):
        assert_sent_to_step_up(response, url("totp-setup"))
    response = client.post(url("totp-setup"), {"restart": "1"})
    assert_sent_to_step_up(response, url("totp-setup"))
    assert not TOTPDevice.objects.filter(user=erin).exists()  # not even a pending secret


def test_an_unverified_session_cannot_add_e_mail_codes(totp_user):
    client = unverified(totp_user)
    response = client.post(url("email-setup"), {"send": "1"})
    assert_sent_to_step_up(response, url("email-setup"))
    response = client.post(url("email-setup"), {"code": "123456"})
    assert_sent_to_step_up(response, url("email-setup"))
    assert not mail.outbox
    assert not EmailDevice.objects.filter(user=totp_user).exists()


def test_an_unverified_session_cannot_remove_a_method(erin):
    client = unverified(erin)
    response = client.post(url("email-setup"), {"remove": "1"})
    assert_sent_to_step_up(response, url("email-setup"))
    assert flows.active_methods(erin) == ["email"]


def test_an_unverified_session_cannot_regenerate_recovery_codes(totp_user):
    before = set(RecoveryCode.objects.filter(device__user=totp_user).values_list("digest"))
    client = unverified(totp_user)
    response = client.post(url("recovery-codes"), {"confirm": "on"})
    assert_sent_to_step_up(response, url("recovery-codes"))
    after = set(RecoveryCode.objects.filter(device__user=totp_user).values_list("digest"))
    assert after == before


def test_an_expired_grace_is_as_good_as_none(totp_user, twostep_clock):
    client = login_verified(Client(), totp_user)
    twostep_clock.advance(GRACE)
    response = client.post(url("email-setup"), {"send": "1"})
    assert_sent_to_step_up(response, url("email-setup"))
    assert not mail.outbox


def test_the_staff_admin_bypass_is_gone(staff_erin, twostep_clock):
    """The walk that worked before: an unverified staff session sets up an app of
    its own, which verified the session, and the admin opened."""
    client = unverified(staff_erin)
    response = client.get("/admin/")
    assert_sent_to_step_up(response, "/admin/")
    # The set-up page refuses to show a secret to this session...
    assert_sent_to_step_up(client.get(url("totp-setup")), url("totp-setup"))
    # ...and a secret begun elsewhere (by the owner, say) cannot be activated by it.
    enrollment = totp_flows.begin_totp_setup(staff_erin, verified_at=clock.now())
    code = totp_for(enrollment.device).at(clock.time())
    response = client.post(url("totp-setup"), {"code": code})
    assert_sent_to_step_up(response, url("totp-setup"))
    assert not TOTPDevice.objects.filter(user=staff_erin, confirmed=True).exists()
    assert client.get("/admin/").status_code == 302
    assert verified_at(client) is None


# -- with a right code, the same changes go through ---------------------------------------


def test_step_up_then_a_second_method_is_added_without_verifying_again(erin, twostep_clock):
    client = unverified(erin)
    client.post(url("verify-email"))
    response = client.post(url("verify"), {"code": mailed_code()})
    assert response.status_code == 302
    stepped_up_at = verified_at(client)
    assert stepped_up_at is not None

    twostep_clock.advance(1000)
    client.get(url("totp-setup"))
    device = TOTPDevice.objects.get(user=erin, confirmed=False)
    response = client.post(url("totp-setup"), {"code": totp_for(device).at(clock.time())})
    assert response.status_code == 302
    assert flows.active_methods(erin) == ["totp", "email"]
    # The new method was proven, but a second method verifies nothing by itself.
    assert verified_at(client) == stepped_up_at
    twostep_clock.advance(GRACE - 1000)
    response = client.post(url("recovery-codes"), {"confirm": "on"})
    assert_sent_to_step_up(response, url("recovery-codes"))


def test_step_up_then_a_method_is_removed(totp_user, twostep_clock):
    client = login_verified(Client(), totp_user)
    client.post(url("email-setup"), {"send": "1"})
    client.post(url("email-setup"), {"code": mailed_code()})
    assert flows.active_methods(totp_user) == ["totp", "email"]
    twostep_clock.advance(GRACE)
    assert_sent_to_step_up(client.post(url("email-setup"), {"remove": "1"}), url("email-setup"))
    response = client.post(url("verify"), {"code": current_code(totp_user)})
    assert response.status_code == 302
    response = client.post(url("email-setup"), {"remove": "1"})
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert flows.active_methods(totp_user) == ["totp"]


def test_a_grace_that_ends_while_the_set_up_page_is_open_asks_for_step_up(totp_user, twostep_clock):
    client = login_verified(Client(), totp_user)
    client.post(url("email-setup"), {"send": "1"})
    code = mailed_code()
    twostep_clock.advance(GRACE)
    response = client.post(url("email-setup"), {"code": code})
    assert_sent_to_step_up(response, url("email-setup"))
    assert flows.active_methods(totp_user) == ["totp"]


# -- the first method ------------------------------------------------------------------------


def test_the_first_method_needs_no_step_up_and_verifies_the_session(plain_user, twostep_clock):
    plain_user.is_staff = plain_user.is_superuser = True
    plain_user.save()
    client = unverified(plain_user)
    assert client.get(url("totp-setup")).status_code == 200
    device = TOTPDevice.objects.get(user=plain_user, confirmed=False)
    response = client.post(url("totp-setup"), {"code": totp_for(device).at(clock.time())})
    assert response.status_code == 302
    assert verified_at(client) is not None
    assert client.get("/admin/").status_code == 200


def test_the_first_method_needs_no_step_up_under_the_policy(plain_user, settings):
    settings.TWOSTEP_REQUIRED = "staff"
    plain_user.is_staff = True
    plain_user.save()
    client = unverified(plain_user)
    assert client.get(url("totp-setup")).status_code == 200
    response = client.post(url("email-setup"), {"send": "1"})
    assert response.status_code == 302 and urlsplit(response["Location"]).path == url("email-setup")
    assert len(mail.outbox) == 1


# -- removing TOTP takes any active method's code ---------------------------------------------


def test_totp_is_disabled_with_an_e_mailed_code(totp_user, twostep_clock):
    email_flows.begin_email_setup(totp_user, verified_at=clock.now())
    email_flows.confirm_email_setup(totp_user, mailed_code(), verified_at=clock.now())
    twostep_clock.advance(60)
    client = unverified(totp_user)  # the code is the step-up here
    response = client.get(url("totp-disable"))
    assert "e-mailed" in response.content.decode()
    client.post(url("verify-email"))
    response = client.post(url("totp-disable"), {"code": mailed_code()})
    assert response.status_code == 302 and response["Location"] == url("settings")
    assert flows.active_methods(totp_user) == ["email"]


def test_totp_is_not_disabled_with_a_wrong_code(totp_user):
    client = unverified(totp_user)
    response = client.post(url("totp-disable"), {"code": "000000"})
    assert error_codes(response) == ["invalid_code"]
    assert flows.active_methods(totp_user) == ["totp"]
