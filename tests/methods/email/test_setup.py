"""The e-mail method's set-up page: confirming the address, resends, removing it.

Codes are read from Django's test outbox, as a person reads their mailbox.
"""

import pytest
from django.core import mail
from django.test import Client

from django_twostep import flows
from django_twostep.testing import login_verified
from tests.pages import error_codes, mailed_code, message_tags, url

pytestmark = pytest.mark.django_db


def test_set_up_e_mail_codes_on_the_page(client, plain_user, twostep_clock):
    plain_user.email = "plain@example.com"
    plain_user.save()
    client.force_login(plain_user)
    page = client.get(url("email-setup"))
    assert page.status_code == 200 and page["Cache-Control"].count("no-store")
    response = client.post(url("email-setup"), {"send": "1"}, follow=True)
    assert "twostep-email_code_sent" in message_tags(response)
    assert mail.outbox[0].to == ["plain@example.com"]
    assert "p***@example.com" in response.content.decode()
    response = client.post(url("email-setup"), {"code": mailed_code()})
    assert response["Location"] == url("recovery-codes")
    assert flows.active_methods(plain_user) == ["email"]
    home = client.get("/")
    assert home.context["verified"] is True


def test_wrong_setup_code_is_a_field_error(client, plain_user, twostep_clock):
    plain_user.email = "plain@example.com"
    plain_user.save()
    client.force_login(plain_user)
    client.post(url("email-setup"), {"send": "1"})
    wrong = "000000" if mailed_code() != "000000" else "111111"
    response = client.post(url("email-setup"), {"code": wrong})
    assert response.status_code == 200
    assert error_codes(response) == ["invalid_code"]
    assert not flows.has_two_factor(plain_user)


def test_setup_without_an_address_says_so(client, plain_user):
    plain_user.email = ""
    plain_user.save()
    client.force_login(plain_user)
    page = client.get(url("email-setup"))
    assert 'data-notice="method_not_available"' in page.content.decode()
    response = client.post(url("email-setup"), {"send": "1"}, follow=True)
    assert "twostep-method_not_available" in message_tags(response)
    assert not mail.outbox


def test_resend_limit_shows_the_wait(client, plain_user, twostep_clock):
    plain_user.email = "plain@example.com"
    plain_user.save()
    client.force_login(plain_user)
    client.post(url("email-setup"), {"send": "1"})
    twostep_clock.advance(10)
    response = client.post(url("email-setup"), {"send": "1"}, follow=True)
    assert "twostep-resend_too_soon" in message_tags(response)
    assert "20 seconds" in response.content.decode()
    assert len(mail.outbox) == 1


def test_removing_e_mail_codes_needs_step_up(erin, twostep_clock):
    client = login_verified(Client(), erin)
    twostep_clock.advance(1801)
    response = client.post(url("email-setup"), {"remove": "1"})
    assert response["Location"].startswith(url("verify"))
    assert flows.has_two_factor(erin)
    client = login_verified(Client(), erin)
    response = client.post(url("email-setup"), {"remove": "1"})
    assert response["Location"] == url("settings")
    assert not flows.has_two_factor(erin)


def test_settings_page_shows_the_e_mail_method(erin):
    client = login_verified(Client(), erin)
    html = client.get(url("settings")).content.decode()
    assert 'id="email"' in html and url("email-setup") in html
