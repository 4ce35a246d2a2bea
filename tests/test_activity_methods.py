"""The activity list names the method a wrong code was tried with (issue 17, item 4b).

The page's choice ("Use a recovery code") when the code fits it, else the
code's shape, else the first of the user's methods it could be; "—" only
when nothing is known. The same name is in the admin's list of events.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.methods import get_method
from django_twostep.models import SecurityEvent
from django_twostep.testing import TEST_PASSWORD, enroll_totp, login_verified, wrong_code
from django_twostep.views import method_label
from tests.api.conftest import LOGIN, TWO_FACTOR
from tests.pages import error_codes, page1, page2, url

pytestmark = pytest.mark.django_db

# Well-formed recovery codes (12 Crockford base32 symbols) nobody was given.
WRONG_RECOVERY = "abcd-efgh-jkmn"
CREDENTIALS = {"username": "alice", "password": TEST_PASSWORD}


def failed_methods(user) -> list[str]:
    events = SecurityEvent.objects.filter(user=user, event="code_failed").order_by("id")
    return list(events.values_list("method", flat=True))


def how_of_failures(user) -> list[str]:
    """The "How" column of the wrong codes in the user's activity list."""
    client = login_verified(Client(), user)
    activity = client.get(url("settings")).context["activity"]
    return [str(item["method"]) for item in activity if item["event"].event == "code_failed"]


def label(name: str) -> str:
    return str(get_method(name).label)


def wrong_on_page2(user, code: str, *, query: str = "") -> None:
    client = Client()
    page1(client, user.get_username())
    assert error_codes(page2(client, code, query=query)) == ["invalid_code"]


def test_a_wrong_app_code_on_page2_shows_the_authenticator_app(totp_user):
    wrong_on_page2(totp_user, wrong_code(totp_user))
    assert failed_methods(totp_user) == ["totp"]
    assert how_of_failures(totp_user) == [label("totp")]


def test_a_wrong_recovery_code_on_the_recovery_field_shows_recovery_code(totp_user, twostep_clock):
    flows.recovery_codes_remaining(totp_user)  # the set made at activation
    wrong_on_page2(totp_user, WRONG_RECOVERY, query="?method=recovery")
    assert failed_methods(totp_user) == ["recovery_code"]
    assert how_of_failures(totp_user) == [label("recovery_code")]


def test_digits_on_the_recovery_field_count_as_a_recovery_code(totp_user):
    """The person said they were typing a recovery code, and digits can be one
    (imported sets): their choice names it."""
    wrong_on_page2(totp_user, wrong_code(totp_user), query="?method=recovery")
    assert failed_methods(totp_user) == ["recovery_code"]


def test_a_recovery_code_in_the_numeric_field_is_named_by_its_shape(totp_user):
    wrong_on_page2(totp_user, WRONG_RECOVERY)
    assert failed_methods(totp_user) == ["recovery_code"]


def test_a_wrong_code_of_an_email_only_user_shows_email(erin, twostep_clock):
    client = Client()
    page1(client, "erin")
    assert error_codes(page2(client, "000000")) == ["invalid_code"]
    twostep_clock.advance(5)
    with pytest.raises(FlowError):  # step-up: no device read beforehand
        flows.verify_second_factor(erin, "000001")
    assert failed_methods(erin) == ["email"]  # one row a minute and method, counted twice
    assert SecurityEvent.objects.get(user=erin, event="code_failed").count == 2
    assert how_of_failures(erin) == [label("email")]


def test_a_user_with_both_methods_gets_the_app_for_digits(erin, twostep_clock):
    enroll_totp(erin)
    twostep_clock.advance(60)
    with pytest.raises(FlowError):
        flows.verify_second_factor(erin, wrong_code(erin))
    assert failed_methods(erin) == ["totp"]


def test_the_api_names_the_method_asked_for(api_client, totp_user, twostep_clock):
    challenge = api_client.post(LOGIN, CREDENTIALS, format="json").json()["meta"]
    body = {"two_factor_id": challenge["two_factor_id"], "code": "000000x", "method": "totp"}
    assert api_client.post(TWO_FACTOR, body, format="json").status_code == 400
    twostep_clock.advance(5)
    body = {**body, "code": WRONG_RECOVERY, "method": "recovery_code"}
    assert api_client.post(TWO_FACTOR, body, format="json").status_code == 400
    assert failed_methods(totp_user) == ["totp", "recovery_code"]


def test_the_one_request_login_names_the_method_by_the_code(api_client, totp_user):
    data = {**CREDENTIALS, "code": wrong_code(totp_user)}
    assert api_client.post(LOGIN, data, format="json").status_code == 400
    assert failed_methods(totp_user) == ["totp"]


def test_the_admin_lists_the_method_by_its_label(client, admin_user, totp_user):
    wrong_on_page2(totp_user, wrong_code(totp_user))
    enroll_totp(admin_user)  # the admin is only for verified sessions
    response = login_verified(client, admin_user).get("/admin/django_twostep/securityevent/")
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    failed = next(event for event in rows if event.event == "code_failed")
    admin = response.context["cl"].model_admin
    assert admin.how(failed) == method_label("totp")
    assert f'<td class="field-how">{label("totp")}</td>' in response.content.decode()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
