"""The account pages: every management page needs a login; the settings page."""

import pytest
from django.test import Client

from django_twostep import flows
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified
from tests.pages import page1, url

pytestmark = pytest.mark.django_db

MANAGEMENT_PAGES = ["settings", "totp-setup", "totp-disable", "recovery-codes", "verify"]


@pytest.mark.parametrize("name", [*MANAGEMENT_PAGES, "totp-qr", "recovery-codes-download"])
def test_management_pages_need_a_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(url("login") + "?next=")


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
