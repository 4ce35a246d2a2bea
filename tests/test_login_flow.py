"""The pending login shared by page 2 and the API's two_factor_id."""

import logging

import pytest

from django_twostep import flows
from django_twostep.errors import FlowError, Throttled
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import Challenge, SecurityEvent
from django_twostep.testing import current_code, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(totp_user):
    return flows.begin_login(totp_user)


def test_user_without_a_method_needs_no_second_step(django_user_model):
    user = django_user_model.objects.create_user("plain", password="pw")
    assert flows.begin_login(user) is None
    assert not Challenge.objects.exists()


def test_pending_login_has_a_256_bit_id_stored_only_as_a_digest(pending, totp_user):
    assert pending.methods == ["totp"] and pending.expires_in == 300
    assert len(pending.id) >= 43  # token_urlsafe(32)
    challenge = Challenge.objects.get()
    assert pending.id not in repr(Challenge.objects.values().get())
    assert challenge.attempts_left == 5


def test_right_code_completes_the_login_once(pending, totp_user, twostep_clock):
    result = flows.verify_login_code(pending.id, current_code(totp_user))
    assert result.user == totp_user and result.verification.method == "totp"
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user, offset_steps=1))
    assert error.value.code == "two_factor_expired"


def test_recovery_code_completes_a_login(pending, totp_user):
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    assert flows.verify_login_code(pending.id, code).verification.method == "recovery_code"
    assert SecurityEvent.objects.filter(event="recovery_code_used", user=totp_user).exists()


def test_method_narrows_the_check(pending, totp_user):
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, code, method="totp")
    assert error.value.code == "invalid_code"


def test_unknown_method_is_a_validation_error(pending, totp_user):
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user), method="sms")
    assert (error.value.code, error.value.parameter) == ("validation_error", "method")


@pytest.mark.parametrize("bad_id", [None, "", "x" * 1000, "not-a-real-id", 12])
def test_unknown_ids_are_expired(bad_id, totp_user):
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(bad_id, current_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_expired_challenge(pending, totp_user, twostep_clock):
    twostep_clock.advance(301)
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_challenge_burns_after_max_attempts(pending, totp_user, twostep_clock, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(FlowError) as error:
            flows.verify_login_code(pending.id, wrong_code(totp_user))
        assert error.value.code == "invalid_code"
        assert error.value.meta["attempts_left"] == left
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_expired_is_answered_before_throttling(pending, totp_user, twostep_clock):
    with pytest.raises(FlowError):
        flows.verify_login_code(pending.id, wrong_code(totp_user))
    with pytest.raises(Throttled):
        flows.verify_login_code(pending.id, wrong_code(totp_user))
    with pytest.raises(FlowError) as error:
        flows.verify_login_code("unknown", wrong_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_password_change_kills_the_challenge(pending, totp_user):
    totp_user.set_password("a new password")
    totp_user.save()
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_two_factor_change_kills_the_challenge(pending, totp_user):
    recovery_flows.generate_recovery_codes(totp_user)
    totp_flows.disable_totp(totp_user, current_code(totp_user))
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, "123456")
    assert error.value.code == "two_factor_expired"


def test_inactive_user_cannot_finish(pending, totp_user):
    totp_user.is_active = False
    totp_user.save()
    with pytest.raises(FlowError) as error:
        flows.verify_login_code(pending.id, current_code(totp_user))
    assert error.value.code == "two_factor_expired"


def test_events_are_recorded_without_secrets(pending, totp_user, caplog):
    caplog.set_level(logging.DEBUG)
    code = current_code(totp_user)
    bad = wrong_code(totp_user)
    with pytest.raises(FlowError):
        flows.verify_login_code(pending.id, bad)
    events = [e.event for e in flows.events.recent(totp_user)]
    assert events[:2] == ["code_failed", "challenge_created"]
    text = caplog.text + repr(list(SecurityEvent.objects.values()))
    for secret in (code, bad, pending.id, totp_user.get_username()):
        assert secret not in text
