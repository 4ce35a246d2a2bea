"""Races between real threads, each with its own PostgreSQL connection.

SQLite serialises writers itself, so these claims are only meaningful, and only
run, on PostgreSQL (the CI's second leg).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from django_twostep import clock, flows
from django_twostep.errors import FlowError, Throttled
from django_twostep.methods.recovery_codes import flows as recovery_flows
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
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
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

    from django_twostep.methods.email import flows as email_flows

    user = django_user_model.objects.create_user("racer", email="r@example.com", password="pw")
    results = race(lambda: email_flows.begin_email_setup(user))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, FlowError) and r.code == "resend_too_soon" for r in refused)
    assert len(mail.outbox) == 1


def test_emailed_code_raced_works_once(django_user_model, twostep_clock):
    import re

    from django.core import mail

    from django_twostep.methods.email import flows as email_flows
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


def wait_for_a_lock_wait(timeout: float = 10) -> None:
    """Until some session of this database waits for a row lock (polled, bounded)."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("nobody waited for a lock")


def test_reset_during_a_login_code_check_does_not_deadlock(totp_user, twostep_clock, monkeypatch):
    """twostep_reset (or the admin action) while a page 2 / auth/two-factor check runs.

    Both touch the user's back-off row, pending login and devices; the reset must
    take the user's lock first, as code checks do, or the two can deadlock (one of
    them then fails with a database error: a 500, or a failed rescue).
    """
    from django_twostep.flows import login as login_flows
    from django_twostep.flows.maintenance import reset_two_factor

    pending = flows.begin_login(totp_user)
    code = current_code(totp_user)
    checking, go_on = threading.Event(), threading.Event()
    original = login_flows.match_code

    def paused_match(*args, **kwargs):
        checking.set()
        assert go_on.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(login_flows, "match_code", paused_match)

    def log_in():
        try:
            return flows.verify_login_code(pending.id, code)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    def reset():
        try:
            return reset_two_factor(totp_user)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        login_result = pool.submit(log_in)
        assert checking.wait(10)
        reset_result = pool.submit(reset)
        wait_for_a_lock_wait()
        go_on.set()
        outcomes = [login_result.result(timeout=30), reset_result.result(timeout=30)]
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert isinstance(outcomes[0], flows.LoginResult)
    assert not flows.has_two_factor(totp_user)  # the reset came after, whole


@pytest.mark.parametrize("method", ["totp", "email"])
def test_removing_a_method_during_a_login_code_check_does_not_deadlock(
    totp_user, twostep_clock, monkeypatch, method
):
    """Turning a method off (TOTP with a recovery code; e-mail) while a login is checked.

    The removal deletes the device, then the pending logins; the check claims the
    pending login, then uses the device. Unless the removal takes the user's lock
    first, each can wait for the other (a deadlock: one fails with a database error).
    """
    import re

    from django.core import mail

    from django_twostep.flows import changes as changes_flows
    from django_twostep.flows import login as login_flows
    from django_twostep.methods.email import flows as email_flows
    from django_twostep.methods.totp import flows as totp_flows

    def emailed_code():
        return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)

    recovery = recovery_flows.generate_recovery_codes(totp_user)
    stepped_up = clock.now()  # a second method, and its removal, after step-up
    if method == "email":
        email_flows.begin_email_setup(totp_user, verified_at=stepped_up)
        email_flows.confirm_email_setup(totp_user, emailed_code(), verified_at=stepped_up)
        twostep_clock.advance(60)
        stepped_up = clock.now()
    pending = flows.begin_login(totp_user)
    if method == "email":
        email_flows.send_login_code(pending.id)
        code = emailed_code()
        remove = lambda: email_flows.remove_email_method(totp_user, verified_at=stepped_up)  # noqa: E731
    else:
        code = current_code(totp_user)
        remove = lambda: totp_flows.disable_totp(totp_user, recovery[0])  # noqa: E731
    module = changes_flows  # every removal ends in changes.method_removed()

    removing, removal_goes_on = threading.Event(), threading.Event()
    checking, check_goes_on = threading.Event(), threading.Event()
    original_removed, original_match = module.method_removed, login_flows.match_code

    def paused_removed(*args, **kwargs):
        removing.set()
        assert removal_goes_on.wait(10)
        return original_removed(*args, **kwargs)

    def paused_match(*args, **kwargs):
        checking.set()
        assert check_goes_on.wait(10)
        return original_match(*args, **kwargs)

    monkeypatch.setattr(module, "method_removed", paused_removed)
    monkeypatch.setattr(login_flows, "match_code", paused_match)

    def run(action):
        try:
            return action()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        removal = pool.submit(run, remove)
        assert removing.wait(10)  # the device is deleted, the pending logins not yet
        login = pool.submit(run, lambda: flows.verify_login_code(pending.id, code))
        if not checking.wait(2):  # else the login waits for the user's lock, as it should
            wait_for_a_lock_wait()
        removal_goes_on.set()
        wait_for_a_lock_wait()
        check_goes_on.set()
        outcomes = [removal.result(timeout=30), login.result(timeout=30)]
    assert outcomes[0] is None, outcomes
    assert isinstance(outcomes[1], flows.LoginResult) or (
        isinstance(outcomes[1], FlowError) and outcomes[1].code == "two_factor_expired"
    ), outcomes
    assert method not in flows.active_methods(totp_user)
