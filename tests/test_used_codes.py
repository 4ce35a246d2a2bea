"""A code typed a second time (its time step used already) says so (issue 17, item 4a).

It is refused as ``invalid_code`` and counts exactly as a wrong code (the
back-off, the pending login's attempts, a ``code_failed`` event); only what the
person reads differs. A wrong code keeps the plain answer: the distinction is
made only for a code the user's authenticator app really showed. Codes come
from pyotp, as the app makes them; time moves with the test clock.
"""

from __future__ import annotations

import pytest
from django.test import Client

from django_twostep import flows
from django_twostep.conf import twostep_settings
from django_twostep.errors import CATALOGUE, FlowError
from django_twostep.flows.codes import Refusal
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.methods.totp.flows import CODE_USED
from django_twostep.models import Challenge, SecurityEvent, TOTPDevice, UserThrottle
from django_twostep.testing import current_code, totp_for, wrong_code
from tests.pages import error_codes, page1, page2, url
from tests.test_step_up import GRACE, verify_url

pytestmark = pytest.mark.django_db

PLAIN = CATALOGUE["invalid_code"].detail


def app_code(user, clock) -> str:
    """What the user's authenticator app shows now (pyotp, from the device's secret)."""
    device = TOTPDevice.objects.get(user_id=user.pk, confirmed=True)
    return totp_for(device).at(clock.time())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["form"].errors["code"]]


def attempts_left(user) -> list[int]:
    """The attempts left of the user's pending logins (not those that completed)."""
    pending = Challenge.objects.filter(user=user, consumed_at__isnull=True)
    return list(pending.values_list("attempts_left", flat=True))


def log_in_elsewhere(user, code: str) -> None:
    """A login in another browser that uses ``code``."""
    other = Client()
    page1(other)
    assert page2(other, code)["Location"] == "/"


# -- page 2 -------------------------------------------------------------------------------


def test_a_code_used_a_moment_ago_says_it_was_used_on_page2(client, totp_user, twostep_clock):
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    twostep_clock.advance(10)  # the same 30 s step: the app still shows this code
    page1(client)
    response = page2(client, code)
    assert error_codes(response) == ["invalid_code"]
    assert messages_of(response) == [str(CODE_USED)]
    assert str(CODE_USED) in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_previous_steps_code_used_is_named_too(client, totp_user, twostep_clock):
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    twostep_clock.advance(31)  # the next step; the used code is still inside the tolerance
    page1(client)
    assert messages_of(page2(client, code)) == [str(CODE_USED)]


def test_a_wrong_code_keeps_the_plain_message(client, totp_user, twostep_clock):
    log_in_elsewhere(totp_user, app_code(totp_user, twostep_clock))
    page1(client)
    response = page2(client, wrong_code(totp_user))
    assert error_codes(response) == ["invalid_code"]
    assert messages_of(response) == [str(PLAIN)]


def test_a_code_used_long_ago_is_just_wrong(client, totp_user, twostep_clock):
    """Outside the tolerance window an old code is not told apart from a guess."""
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    twostep_clock.advance(300)
    page1(client)
    assert messages_of(page2(client, code)) == [str(PLAIN)]


@pytest.mark.parametrize("kind", ["used", "wrong"])
def test_a_used_code_counts_exactly_as_a_wrong_one(client, totp_user, twostep_clock, kind):
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    twostep_clock.advance(5)
    page1(client)
    response = page2(client, code if kind == "used" else wrong_code(totp_user))
    assert error_codes(response) == ["invalid_code"]
    assert UserThrottle.objects.get(user=totp_user).failures == 1
    assert attempts_left(totp_user) == [twostep_settings.CHALLENGE_MAX_ATTEMPTS - 1]
    failed = SecurityEvent.objects.get(user=totp_user, event="code_failed")
    assert (failed.method, failed.count) == ("totp", 1)


def test_the_next_code_works_after_a_used_one(client, totp_user, twostep_clock):
    """What the message says to do works: wait for the next code."""
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    page1(client)
    assert messages_of(page2(client, code)) == [str(CODE_USED)]
    twostep_clock.advance(30)
    assert page2(client, app_code(totp_user, twostep_clock))["Location"] == "/"


def test_a_used_code_as_the_last_attempt_still_ends_the_login(client, totp_user, twostep_clock):
    code = app_code(totp_user, twostep_clock)
    log_in_elsewhere(totp_user, code)
    page1(client)
    Challenge.objects.filter(user=totp_user, consumed_at__isnull=True).update(attempts_left=1)
    response = page2(client, code)
    assert response["Location"] == url("login")
    assert client.get(url("login")).context["notice"] == "attempts_exhausted"


# -- step-up, set-up, the flows -------------------------------------------------------------


def test_step_up_page_says_a_code_was_used(verified_client, totp_user, twostep_clock):
    twostep_clock.advance(GRACE)
    code = app_code(totp_user, twostep_clock)
    flows.verify_second_factor(totp_user, code)  # used a moment ago, elsewhere
    response = verified_client.post(verify_url("/password/"), {"code": code})
    assert error_codes(response) == ["invalid_code"]
    assert messages_of(response) == [str(CODE_USED)]
    assert UserThrottle.objects.get(user=totp_user).failures == 1


def test_step_up_page_keeps_the_plain_message_for_a_wrong_code(
    verified_client, totp_user, twostep_clock
):
    twostep_clock.advance(GRACE)
    flows.verify_second_factor(totp_user, app_code(totp_user, twostep_clock))
    response = verified_client.post(verify_url("/password/"), {"code": wrong_code(totp_user)})
    assert messages_of(response) == [str(PLAIN)]


def test_the_flow_error_carries_the_reason(totp_user, twostep_clock):
    code = current_code(totp_user)
    flows.verify_second_factor(totp_user, code)
    twostep_clock.advance(2)  # past the back-off of nothing: the first failure comes next
    with pytest.raises(FlowError) as used:
        flows.verify_second_factor(totp_user, code)
    assert (used.value.code, used.value.reason, used.value.status) == (
        "invalid_code",
        "code_used",
        400,
    )
    twostep_clock.advance(2)
    with pytest.raises(FlowError) as wrong:
        flows.verify_second_factor(totp_user, wrong_code(totp_user))
    assert (wrong.value.code, wrong.value.reason) == ("invalid_code", None)
    assert wrong.value.detail == PLAIN


def test_a_used_code_on_the_last_attempt_is_reported_as_the_end_of_the_login(
    totp_user, twostep_clock
):
    """The login is over: the error no longer says "wait for the next code"."""
    code = current_code(totp_user)
    flows.verify_second_factor(totp_user, code)  # used a moment ago, elsewhere
    pending = flows.begin_login(totp_user)
    Challenge.objects.filter(pk=pending.pk).update(attempts_left=1)
    with pytest.raises(FlowError) as ended:
        flows.verify_login_code(pending.id, code)
    assert (ended.value.code, ended.value.reason) == ("invalid_code", None)
    assert ended.value.meta["attempts_left"] == 0
    assert str(ended.value.detail) == "Too many wrong codes. Log in again."


def test_a_refusal_is_false_as_the_none_it_replaced():
    assert not Refusal() and not Refusal("totp", reason="code_used", detail=CODE_USED)


def test_activation_with_a_code_used_meanwhile_says_so(django_user_model, twostep_clock):
    """Two set-up requests with the same first code: the one that loses the race is
    told the code was used (the step was taken while it waited)."""
    user = django_user_model.objects.create_user("nina", password="pw")
    device = totp_flows.begin_totp_setup(user).device
    code = totp_for(device).at(twostep_clock.time())
    assert device.consume_step(device.match(code))  # the other request, a moment earlier
    with pytest.raises(FlowError) as refused:
        totp_flows.activate_totp(user, code)
    assert (refused.value.code, refused.value.reason) == ("invalid_code", "code_used")
    assert refused.value.detail == CODE_USED
    assert UserThrottle.objects.get(user=user).failures == 1


def test_activation_with_a_wrong_code_keeps_the_plain_message(client, django_user_model):
    user = django_user_model.objects.create_user("nina", password="pw")
    client.force_login(user)
    client.get(url("totp-setup"))
    response = client.post(url("totp-setup"), {"code": "000000"})
    assert error_codes(response) == ["invalid_code"]
    assert messages_of(response) == [str(PLAIN)]
