"""The e-mail method on the pages: set-up, page 2's "E-mail me a code", step-up.

Codes are read from Django's test outbox, as a person reads their mailbox.
"""

import logging

import pytest
from django.core import mail
from django.test import Client

from django_twostep import flows
from django_twostep.testing import login_verified
from tests.pages import error_codes, mailed_code, page1, page2, url

pytestmark = pytest.mark.django_db


def message_tags(response) -> list[str]:
    return [m.extra_tags for m in response.context["messages"]]


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


def test_login_with_an_emailed_code(erin):
    client = Client()
    page1(client, "erin")
    page = client.get(url("login-code"))
    assert url("login-code-email") in page.content.decode()
    assert client.get(url("login-code-email")).status_code == 405  # POST only
    response = client.post(url("login-code-email"), follow=True)
    assert "twostep-email_code_sent" in message_tags(response)
    assert "e***@example.com" in response.content.decode()
    code = mailed_code()
    assert code not in response.content.decode()
    response = page2(client, code)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["verified"] is True


def test_no_email_button_for_a_totp_only_user(client, totp_user):
    page1(client)
    assert url("login-code-email") not in client.get(url("login-code")).content.decode()
    response = client.post(url("login-code-email"), follow=True)
    assert "twostep-method_not_available" in message_tags(response)
    assert not mail.outbox


def test_email_button_without_a_pending_login_goes_to_page_1(client):
    response = client.post(url("login-code-email"))
    assert response["Location"] == url("login")


def test_step_up_by_emailed_code(erin, twostep_clock):
    client = login_verified(Client(), erin)
    twostep_clock.advance(1801)
    response = client.get("/password/")
    assert response.status_code == 302 and response["Location"].startswith(url("verify"))
    verify = client.get(response["Location"])
    assert url("verify-email") in verify.content.decode()
    sent = client.post(url("verify-email"), {"next": "/password/"})
    assert sent["Location"] == url("verify") + "?next=%2Fpassword%2F"
    response = client.post(url("verify") + "?next=/password/", {"code": mailed_code()})
    assert response["Location"] == "/password/"
    assert client.get("/password/").status_code == 200


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


def test_no_code_in_logs_or_urls(erin, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    page1(client, "erin")
    response = client.post(url("login-code-email"))
    code = mailed_code()
    page2(client, code)
    assert code not in caplog.text
    assert code not in response["Location"]


def test_adapter_override_is_used_by_the_pages(erin, settings):
    settings.TWOSTEP_ADAPTER = "tests.methods.email.test_flows.RecordingAdapter"
    from tests.methods.email.test_flows import RecordingAdapter

    RecordingAdapter.sent.clear()
    client = Client()
    page1(client, "erin")
    client.post(url("login-code-email"))
    assert RecordingAdapter.sent and RecordingAdapter.sent[0][1] == "login"
    assert not mail.outbox
