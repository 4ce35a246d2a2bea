"""E-mailed codes on the pages: page 2's "E-mail me a code", and step-up.

Codes are read from Django's test outbox, as a person reads their mailbox.
"""

import logging

import pytest
from django.core import mail
from django.test import Client

from django_twostep.testing import login_verified
from tests.pages import mailed_code, message_tags, page1, page2, url

pytestmark = pytest.mark.django_db


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
