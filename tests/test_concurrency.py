"""Races between real threads, each with its own PostgreSQL connection.

SQLite serialises writers itself, so these claims are only meaningful, and only
run, on PostgreSQL (the CI's second leg).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from django_twostep import flows
from django_twostep.errors import FlowError, Throttled
from django_twostep.models import RecoveryCodeDevice, TOTPDevice, UserThrottle
from django_twostep.testing import current_code, wrong_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def race(action, n=THREADS):
    """Run ``action()`` in n threads released at the same instant; return results/exceptions."""
    barrier = threading.Barrier(n)

    def run():
        try:
            barrier.wait()
            return action()
        except Exception as exc:  # collected, asserted on below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: run(), range(n)))


def test_same_fresh_code_verified_by_8_threads_succeeds_once(totp_user, twostep_clock):
    code = current_code(totp_user)
    results = race(lambda: flows.verify_second_factor(totp_user, code))
    successes = [r for r in results if isinstance(r, flows.Verification)]
    assert len(successes) == 1
    assert all(isinstance(r, FlowError) for r in results if r not in successes)


def test_conditional_update_alone_stops_replay(totp_user, twostep_clock):
    """Without the per-user lock, the UPDATE ... WHERE last_t < t still lets one win."""
    device = TOTPDevice.objects.get(user=totp_user)
    counter = device.match(current_code(totp_user))
    assert counter is not None
    results = race(lambda: TOTPDevice.objects.get(pk=device.pk).consume_step(counter))
    assert results.count(True) == 1 and results.count(False) == THREADS - 1


def test_recovery_code_raced_works_once(totp_user):
    code = flows.generate_recovery_codes(totp_user)[0]
    normalized = code.replace("-", "")
    device = RecoveryCodeDevice.objects.get(user=totp_user)
    results = race(lambda: RecoveryCodeDevice.objects.get(pk=device.pk).consume_code(normalized))
    assert results.count(True) == 1
    assert flows.recovery_codes_remaining(totp_user) == 9


def test_parallel_wrong_codes_count_once_before_the_backoff_bites(totp_user, twostep_clock):
    bad = wrong_code(totp_user)
    results = race(lambda: flows.verify_second_factor(totp_user, bad))
    invalid = [r for r in results if isinstance(r, FlowError) and not isinstance(r, Throttled)]
    throttled = [r for r in results if isinstance(r, Throttled)]
    # Checks of one user are serialised: the first failure starts the wait, the rest are refused
    # without a comparison and without counting.
    assert len(invalid) == 1 and len(throttled) == THREADS - 1
    assert UserThrottle.objects.get(user=totp_user).failures == 1


def test_parallel_email_sends_pass_the_limit_once(django_user_model, twostep_clock):
    from django.core import mail

    from django_twostep.flows import email as email_flows

    user = django_user_model.objects.create_user("racer", email="r@example.com", password="pw")
    results = race(lambda: email_flows.begin_email_setup(user))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Throttled) for r in results if isinstance(r, Exception))
    assert len(mail.outbox) == 1


def test_emailed_code_raced_works_once(django_user_model, twostep_clock):
    import re

    from django.core import mail

    from django_twostep.flows import email as email_flows
    from django_twostep.models import EmailDevice

    user = django_user_model.objects.create_user("racer2", email="r2@example.com", password="pw")
    device = email_flows.begin_email_setup(user)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    results = race(lambda: EmailDevice.objects.get(pk=device.pk).consume_code(code))
    assert results.count(True) == 1


def test_parallel_wrong_codes_on_one_challenge_stay_within_its_budget(
    totp_user, twostep_clock, settings
):
    """Without back-off, only the challenge's budget (5) limits guesses: 5 codes are
    compared, however many requests queue for the user's lock. (A request that found
    the challenge live before it was burned must not compare a code once it gets the
    lock: the answer would tell a right guess from a wrong one.)"""
    settings.TWOSTEP_THROTTLE_FACTOR = 0
    pending = flows.begin_login(totp_user)
    bad = wrong_code(totp_user)
    results = race(lambda: flows.verify_login_code(pending.id, bad))
    invalid = [r for r in results if isinstance(r, FlowError) and r.code == "invalid_code"]
    expired = [r for r in results if isinstance(r, FlowError) and r.code == "two_factor_expired"]
    assert len(invalid) == 5 and len(expired) == THREADS - 5, [
        getattr(r, "code", r) for r in results
    ]
    assert sorted(r.meta["attempts_left"] for r in invalid) == [0, 1, 2, 3, 4]
    assert UserThrottle.objects.get(user=totp_user).failures == 5
