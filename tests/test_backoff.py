"""The per-user back-off: factor * 2^(n-1) s after n consecutive wrong codes."""

import pytest

from django_twostep import flows
from django_twostep.errors import FlowError, Throttled
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import UserThrottle
from django_twostep.testing import current_code, wrong_code

pytestmark = pytest.mark.django_db


def fail_once(user):
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(user, wrong_code(user))
    assert error.value.code == "invalid_code"


@pytest.mark.parametrize("factor", [1, 3, 0.5])
def test_wait_doubles_with_each_consecutive_failure(totp_user, twostep_clock, settings, factor):
    settings.TWOSTEP_THROTTLE_FACTOR = factor
    for n in range(1, 7):
        fail_once(totp_user)
        wait = factor * 2 ** (n - 1)
        # Just before the wait ends: refused for throttling.
        twostep_clock.advance(wait - 0.25)
        with pytest.raises(Throttled) as error:
            flows.verify_second_factor(totp_user, wrong_code(totp_user))
        assert error.value.retry_after == 1  # 0.25 s left, rounded up to whole seconds
        assert error.value.status == 429
        twostep_clock.advance(0.25)
    assert UserThrottle.objects.get(user=totp_user).failures == 6


def test_retry_after_is_the_whole_wait_rounded_up(totp_user, twostep_clock, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 1.5
    fail_once(totp_user)
    with pytest.raises(Throttled) as error:
        flows.verify_second_factor(totp_user, current_code(totp_user))
    assert error.value.retry_after == 2
    assert flows.throttle_wait(totp_user) == 2


def test_a_throttled_call_compares_no_code(totp_user, twostep_clock, match_calls):
    fail_once(totp_user)
    twostep_clock.advance(1)
    fail_once(totp_user)
    compared = len(match_calls)
    right = current_code(totp_user)
    with pytest.raises(Throttled):
        flows.verify_second_factor(totp_user, right)
    assert len(match_calls) == compared
    # Not counted as an attempt either: the wait is still that of 2 failures.
    assert UserThrottle.objects.get(user=totp_user).failures == 2
    # And the right code was not used up: it works once the wait is over.
    twostep_clock.advance(2)
    assert flows.verify_second_factor(totp_user, right).method == "totp"


def test_success_resets_the_backoff(totp_user, twostep_clock):
    for _ in range(3):
        fail_once(totp_user)
        twostep_clock.advance(flows.throttle_wait(totp_user))
    flows.verify_second_factor(totp_user, current_code(totp_user))
    throttle = UserThrottle.objects.get(user=totp_user)
    assert (throttle.failures, throttle.locked_until) == (0, None)
    fail_once(totp_user)
    assert flows.throttle_wait(totp_user) == 1


def test_backoff_spans_methods(totp_user, twostep_clock):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    fail_once(totp_user)
    with pytest.raises(Throttled):
        flows.verify_second_factor(totp_user, codes[0])
    twostep_clock.advance(1)
    assert flows.verify_second_factor(totp_user, codes[0]).method == "recovery_code"


def test_activation_and_disable_count_for_the_backoff(django_user_model, twostep_clock):
    user = django_user_model.objects.create_user("carol", password="pw")
    totp_flows.begin_totp_setup(user)
    with pytest.raises(FlowError):
        totp_flows.activate_totp(user, "000000")
    with pytest.raises(Throttled):
        totp_flows.activate_totp(user, "000000")


def test_backoff_is_per_user(totp_user, django_user_model, twostep_clock):
    other = django_user_model.objects.create_user("dave", password="pw")
    fail_once(totp_user)
    assert flows.throttle_wait(totp_user) == 1
    assert flows.throttle_wait(other) == 0


def test_factor_zero_turns_the_backoff_off(totp_user, twostep_clock, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0
    for _ in range(5):
        fail_once(totp_user)
    assert flows.verify_second_factor(totp_user, current_code(totp_user)).method == "totp"


def test_long_runs_of_failures_do_not_overflow(totp_user, twostep_clock):
    UserThrottle.objects.filter(user=totp_user).update(failures=500)
    twostep_clock.advance(0)
    fail_once(totp_user)
    assert flows.throttle_wait(totp_user) == 2**30


def test_about_25_guesses_in_a_year_with_factor_1(totp_user, twostep_clock):
    """docs/security.md's arithmetic: waiting out every back-off, guesses that fit in a year."""
    year, guesses = 365 * 24 * 3600, 0
    start = twostep_clock.time()
    while twostep_clock.time() - start < year:
        fail_once(totp_user)
        guesses += 1
        twostep_clock.advance(flows.throttle_wait(totp_user))
    assert 24 <= guesses <= 26
