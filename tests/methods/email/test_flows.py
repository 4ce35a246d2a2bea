"""E-mailed codes at the flows level: read from the outbox as a user reads their mailbox."""

import logging
import math
import re

import pytest
from django.core import mail

from django_twostep import clock, flows
from django_twostep.adapter import DefaultAdapter
from django_twostep.errors import FlowError
from django_twostep.methods.email import flows as email_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import EmailDevice
from django_twostep.testing import current_code

pytestmark = pytest.mark.django_db


def last_code() -> str:
    """The code in the newest mail, as a person reads it."""
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


@pytest.fixture
def email_user(django_user_model, twostep_clock):
    user = django_user_model.objects.create_user("erin", email="erin@example.com", password="pw")
    email_flows.begin_email_setup(user)
    email_flows.confirm_email_setup(user, last_code())
    twostep_clock.advance(60)  # past the resend interval
    mail.outbox.clear()
    return user


def test_setup_sends_a_code_and_confirming_it_enables_the_method(django_user_model, twostep_clock):
    user = django_user_model.objects.create_user("finn", email="finn@example.com", password="pw")
    device = email_flows.begin_email_setup(user)
    assert device.confirmed is False
    assert mail.outbox[0].to == ["finn@example.com"]
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert flows.two_factor_state(user).pending is True
    activation = email_flows.confirm_email_setup(user, last_code())
    assert len(activation.recovery_codes) == 10
    state = flows.two_factor_state(user)
    assert state.enabled and state.methods == ["email"]


def test_setup_without_an_address_is_not_available(django_user_model):
    user = django_user_model.objects.create_user("noaddress", password="pw")
    with pytest.raises(FlowError) as error:
        email_flows.begin_email_setup(user)
    assert error.value.code == "method_not_available"
    assert not mail.outbox


def test_setup_twice_when_active_is_already_enabled(email_user):
    with pytest.raises(FlowError) as error:
        email_flows.begin_email_setup(email_user)
    assert error.value.code == "already_enabled"


def test_login_by_emailed_code(email_user):
    pending = flows.begin_login(email_user)
    assert pending.methods == ["email"]
    email_flows.send_login_code(pending.id)
    result = flows.verify_login_code(pending.id, last_code())
    assert result.verification.method == "email"


def test_code_is_single_use(email_user):
    email_flows.send_step_up_code(email_user)
    code = last_code()
    assert flows.verify_second_factor(email_user, code).method == "email"
    with pytest.raises(FlowError):
        flows.verify_second_factor(email_user, code)


def test_code_expires(email_user, twostep_clock):
    email_flows.send_step_up_code(email_user)
    code = last_code()
    twostep_clock.advance(601)
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(email_user, code)
    assert error.value.code == "invalid_code"


def test_code_works_until_its_ttl(email_user, twostep_clock):
    email_flows.send_step_up_code(email_user)
    twostep_clock.advance(599)
    assert flows.verify_second_factor(email_user, last_code()).method == "email"


def test_a_new_code_voids_the_old(email_user, twostep_clock):
    email_flows.send_step_up_code(email_user)
    old = last_code()
    twostep_clock.advance(30)
    email_flows.send_step_up_code(email_user)
    new = last_code()
    if old != new:
        with pytest.raises(FlowError):
            flows.verify_second_factor(email_user, old)
    twostep_clock.advance(1)
    assert flows.verify_second_factor(email_user, new).method == "email"


def test_resend_interval_and_hourly_cap(email_user, twostep_clock, settings):
    twostep_clock.advance(3600)  # the set-up mail leaves the hour's window
    start = twostep_clock.time()
    email_flows.send_step_up_code(email_user)
    with pytest.raises(FlowError, match="resend_too_soon") as error:
        email_flows.send_step_up_code(email_user)
    assert error.value.retry_after == 30
    twostep_clock.advance(29.5)
    with pytest.raises(FlowError, match="resend_too_soon") as error:
        email_flows.send_step_up_code(email_user)
    assert error.value.retry_after == 1
    for _ in range(4):
        twostep_clock.advance(30)
        email_flows.send_step_up_code(email_user)
    twostep_clock.advance(30)
    with pytest.raises(FlowError, match="resend_too_soon") as error:
        email_flows.send_step_up_code(email_user)
    # Five sends in the hour: the next waits until the first leaves the window.
    assert error.value.retry_after == math.ceil(start + 3600 - twostep_clock.time())
    assert len(mail.outbox) == 5


def test_wrong_code_budget(email_user, twostep_clock, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0
    email_flows.send_step_up_code(email_user)
    code = last_code()
    bad = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(FlowError):
            flows.verify_second_factor(email_user, bad)
    with pytest.raises(FlowError):
        flows.verify_second_factor(email_user, code)
    assert EmailDevice.objects.get(user=email_user).code_attempts_left == 0


def test_email_methods_narrow(email_user, totp_user):
    """A TOTP user without the e-mail method cannot be sent a code."""
    pending = flows.begin_login(totp_user)
    with pytest.raises(FlowError) as error:
        email_flows.send_login_code(pending.id)
    assert error.value.code == "method_not_available"
    with pytest.raises(FlowError) as error:
        email_flows.send_step_up_code(totp_user)
    assert error.value.code == "method_not_available"


def test_dead_challenge_sends_nothing(email_user):
    with pytest.raises(FlowError) as error:
        email_flows.send_login_code("no-such-login")
    assert error.value.code == "two_factor_expired"
    assert not mail.outbox


def test_totp_and_email_side_by_side(totp_user, twostep_clock):
    totp_user.email = "alice@example.com"
    totp_user.save()
    stepped_up = clock.now()  # a second method needs a fresh step-up
    email_flows.begin_email_setup(totp_user, verified_at=stepped_up)
    activation = email_flows.confirm_email_setup(totp_user, last_code(), verified_at=stepped_up)
    assert activation.verifies is False  # only a first method verifies
    assert flows.active_methods(totp_user) == ["totp", "email"]
    twostep_clock.advance(30)
    email_flows.send_step_up_code(totp_user)
    assert flows.verify_second_factor(totp_user, last_code()).method == "email"
    assert flows.verify_second_factor(totp_user, current_code(totp_user)).method == "totp"
    totp_flows.disable_totp(totp_user, current_code(totp_user, offset_steps=1))
    assert flows.active_methods(totp_user) == ["email"]
    assert flows.recovery_codes_remaining(totp_user) == 10  # a method remains
    email_flows.remove_email_method(totp_user, verified_at=clock.now())
    assert flows.two_factor_state(totp_user).recovery_codes_remaining == 0


def test_no_code_in_logs(email_user, caplog):
    caplog.set_level(logging.DEBUG)
    email_flows.send_step_up_code(email_user)
    code = last_code()
    flows.verify_second_factor(email_user, code)
    assert code not in caplog.text


class RecordingAdapter(DefaultAdapter):
    sent: list = []

    def send_code(self, user, code, *, purpose, address, expires_in):
        RecordingAdapter.sent.append((user.pk, purpose, address, expires_in, len(code)))


def test_adapter_override_is_called(email_user, settings):
    settings.TWOSTEP_ADAPTER = "tests.methods.email.test_flows.RecordingAdapter"
    RecordingAdapter.sent.clear()
    email_flows.send_step_up_code(email_user)
    assert RecordingAdapter.sent == [(email_user.pk, "step_up", "erin@example.com", 600, 6)]
    assert not mail.outbox


class FailingAdapter(DefaultAdapter):
    def send_code(self, user, code, *, purpose, address, expires_in):
        raise ConnectionError("gateway down")


def test_failed_delivery_voids_the_code_and_is_not_counted(email_user, settings):
    settings.TWOSTEP_ADAPTER = "tests.methods.email.test_flows.FailingAdapter"
    with pytest.raises(ConnectionError):
        email_flows.send_step_up_code(email_user)
    assert not EmailDevice.objects.get(user=email_user).has_live_code()
    settings.TWOSTEP_ADAPTER = "django_twostep.adapter.DefaultAdapter"
    email_flows.send_step_up_code(email_user)  # not throttled: the failed send did not count
    assert len(mail.outbox) == 1
