"""Races across worker processes: requests fired together at gunicorn over PostgreSQL.

Each race sends 10 requests released by one barrier from 10 threads; the
access log shows they were served by more than one worker process.
"""

from __future__ import annotations

import pytest

from .live import (
    LOGIN,
    OTP,
    REFRESH,
    TWO_FACTOR,
    Browser,
    codes_of,
    make_account,
    race,
    served_by,
)

pytestmark = pytest.mark.multiworker

N = 10


def test_same_totp_code_through_10_challenges_is_accepted_once(fast_server, live_db, live_secrets):
    account = make_account(fast_server, live_db, live_secrets, "race-totp")
    ids = [account.challenge() for _ in range(N)]
    code = account.next_code()
    before = len(fast_server.access_entries())

    responses = race(
        lambda i=i: account.post(TWO_FACTOR, {"two_factor_id": ids[i], "code": code})
        for i in range(N)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (N - 1), statuses
    assert all(codes_of(r) == ["invalid_code"] for r in responses if r.status_code == 400)
    assert len(served_by(fast_server, TWO_FACTOR, before)) >= 2
    # The step is spent once; the losers' challenges each lost one attempt and live on.
    used = "user_id = %s AND consumed_at IS NOT NULL"
    assert live_db.count("challenge", used, account.user_id) == 1
    assert sorted(
        v
        for (v,) in live_db.rows(
            "SELECT attempts_left FROM django_twostep_challenge"
            " WHERE user_id = %s AND consumed_at IS NULL",
            account.user_id,
        )
    ) == [4] * (N - 1)


def test_10_parallel_wrong_codes_never_exceed_a_challenges_budget(
    fast_server, live_db, live_secrets
):
    """Without back-off (factor 0) every request reaches the check: 5 are counted."""
    account = make_account(fast_server, live_db, live_secrets, "race-budget")
    two_factor_id = account.challenge()
    bad = account.wrong_code()
    before = len(fast_server.access_entries())

    responses = race(
        lambda: account.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": bad})
        for _ in range(N)
    )

    invalid = [r for r in responses if r.status_code == 400]
    expired = [r for r in responses if r.status_code == 401]
    assert len(invalid) == 5 and len(expired) == N - 5, [
        (r.status_code, r.json()["errors"][0]["code"], r.json()["errors"][0].get("meta"))
        for r in responses
    ]
    assert all(codes_of(r) == ["invalid_code"] for r in invalid)
    assert all(codes_of(r) == ["two_factor_expired"] for r in expired)
    left = sorted(r.json()["errors"][0]["meta"]["attempts_left"] for r in invalid)
    assert left == [0, 1, 2, 3, 4]
    assert len(served_by(fast_server, TWO_FACTOR, before)) >= 2
    assert (
        live_db.value(
            "SELECT attempts_left FROM django_twostep_challenge WHERE user_id = %s", account.user_id
        )
        == 0
    )
    assert live_db.failures(account.user_id) == 5
    # Burned: even the right code is refused on it now.
    response = account.post(
        TWO_FACTOR, {"two_factor_id": two_factor_id, "code": account.next_code()}
    )
    assert response.status_code == 401 and codes_of(response) == ["two_factor_expired"]


def test_10_parallel_refreshes_yield_at_most_one_pair_and_revoke_the_family(
    fast_server, live_db, live_secrets
):
    account = make_account(fast_server, live_db, live_secrets, "race-refresh", totp=False)
    tokens = account.login().json()
    before = len(fast_server.access_entries())

    responses = race(
        lambda: account.post(REFRESH, {"refresh_token": tokens["refresh_token"]}) for _ in range(N)
    )

    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert len(winners) <= 1
    assert all(r.status_code == 400 and codes_of(r) == ["invalid_grant"] for r in losers)
    assert len(served_by(fast_server, REFRESH, before)) >= 2
    assert live_db.value(
        "SELECT count(*) FROM django_twostep_apitoken WHERE user_id = %s", account.user_id
    ) == 1 + len(winners)
    assert live_db.count("apitoken", "user_id = %s AND revoked_at IS NULL", account.user_id) == 0
    for access in [tokens["access_token"], *(w.json()["access_token"] for w in winners)]:
        response = account.request("GET", OTP, token=access)
        assert response.status_code == 401 and codes_of(response) == ["not_authenticated"]
    for winner in winners:
        response = account.post(REFRESH, {"refresh_token": winner.json()["refresh_token"]})
        assert response.status_code == 400


def test_a_recovery_code_used_in_parallel_works_once(fast_server, live_db, live_secrets):
    """The same recovery code through three paths at once: the one-request API login,
    ``auth/two-factor`` and page 2."""
    account = make_account(fast_server, live_db, live_secrets, "race-recovery")
    code = account.recovery_codes[0]
    ids = [account.challenge() for _ in range(3)]
    browsers = [Browser(fast_server, live_secrets) for _ in range(3)]
    for browser in browsers:
        browser.start_login(account.username)
    actions = [lambda: account.login(code=code) for _ in range(4)]
    actions += [
        lambda i=i: account.post(TWO_FACTOR, {"two_factor_id": ids[i], "code": code})
        for i in range(3)
    ]
    actions += [lambda b=b: b.page2(code) for b in browsers]
    before = len(fast_server.access_entries())

    responses = race(actions)

    api = responses[:7]
    pages = responses[7:]
    page_wins = [r for r in pages if r.status_code == 302 and r.headers["Location"] == "/"]
    api_wins = [r for r in api if r.status_code == 200]
    assert len(page_wins) + len(api_wins) == 1, [r.status_code for r in responses]
    assert all(codes_of(r) == ["invalid_code"] for r in api if r.status_code != 200)
    assert all(r.status_code == 200 for r in pages if r not in page_wins)  # the form again
    pids = served_by(fast_server, LOGIN, before) | served_by(fast_server, TWO_FACTOR, before)
    assert len(pids | served_by(fast_server, "/accounts/login/code/", before)) >= 2
    assert (
        live_db.value(
            """SELECT count(*) FROM django_twostep_recoverycode c
           JOIN django_twostep_recoverycodedevice d ON d.id = c.device_id
           WHERE d.user_id = %s AND c.used_at IS NOT NULL""",
            account.user_id,
        )
        == 1
    )
