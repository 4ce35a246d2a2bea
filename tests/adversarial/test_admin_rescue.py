"""Admin rescue and hygiene against a running deployment.

``manage.py twostep_reset`` and ``twostep_cleanup`` run as an operator runs
them: separate processes on the same database while gunicorn serves.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .live import (
    OTP,
    REFRESH,
    ROOT,
    TWO_FACTOR,
    Browser,
    codes_of,
    make_account,
    server_env,
)

pytestmark = pytest.mark.multiworker

NOTHING_PURGED = (
    "Purged 0 pending login(s), 0 e-mailed code(s), 0 send record(s), "
    "0 security key challenge(s), 0 token(s), "
    "0 trusted browser(s), 0 event(s)."
)


def manage(live_db, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=server_env(live_db.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_reset_while_a_login_is_pending_over_http(guarded_server, live_db, live_secrets):
    account = make_account(guarded_server, live_db, live_secrets, "rescue")
    two_factor_id = account.challenge()
    browser = Browser(guarded_server, live_secrets)
    browser.start_login(account.username)
    bad = account.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": account.wrong_code()})
    assert codes_of(bad) == ["invalid_code"] and live_db.failures(account.user_id) == 1

    code = account.next_code()  # a right code, for after the reset

    status, out, err = finished(manage(live_db, "twostep_reset", account.username))

    assert status == 0, err
    assert f"Two-step login reset for {account.username!r}." in out
    assert f"twostep admin_reset user={account.user_id} " in err  # logged
    assert not live_secrets.found_in(out + err)
    assert live_db.failures(account.user_id) == 0
    # The pending logins are dead, on the API and on page 2, even with a right code.
    response = account.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": code})
    assert response.status_code == 401 and codes_of(response) == ["two_factor_expired"]
    response = browser.page2(code)
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/accounts/login/"
    )
    # Every token is revoked, refresh tokens too.
    response = account.request("GET", OTP, token=account.access_token)
    assert response.status_code == 401 and codes_of(response) == ["not_authenticated"]
    response = account.post(REFRESH, {"refresh_token": account.refresh_token})
    assert response.status_code == 400 and codes_of(response) == ["invalid_grant"]
    # The password alone logs in now; the user can enrol again.
    response = account.login()
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"
    state = account.request("GET", OTP, token=response.json()["access_token"]).json()
    assert state == {
        "enabled": False,
        "pending": False,
        "methods": [],
        "recovery_codes_remaining": 0,
    }


def test_admin_action_resets_a_user_with_a_pending_login(guarded_server, live_db, live_secrets):
    victim = make_account(guarded_server, live_db, live_secrets, "locked-out")
    two_factor_id = victim.challenge()
    code = victim.next_code()
    admin = make_account(guarded_server, live_db, live_secrets, "admin", totp=False)
    live_db.rows(
        "UPDATE auth_user SET is_staff = true, is_superuser = true WHERE id = %s", admin.user_id
    )
    admin.enroll_totp()  # the admin is only for verified sessions
    browser = Browser(guarded_server, live_secrets)
    browser.start_login(admin.username)
    assert browser.page2(admin.next_code()).headers["Location"] == "/"
    assert browser.get("/admin/auth/user/").status_code == 200

    response = browser.post(
        "/admin/auth/user/",
        {"action": "reset_two_step_login", "_selected_action": str(victim.user_id)},
    )

    assert response.status_code == 302
    response = victim.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": code})
    assert codes_of(response) == ["two_factor_expired"]
    assert victim.login().status_code == 200  # the password alone
    assert (
        live_db.value(
            "SELECT host(ip) FROM django_twostep_securityevent WHERE user_id = %s AND event = %s",
            victim.user_id,
            "admin_reset",
        )
        == "127.0.0.1"
    )


def test_cleanup_from_cron_while_serving_is_idempotent(fast_server, live_db, live_secrets):
    account = make_account(fast_server, live_db, live_secrets, "cron")
    live_id = account.challenge()
    used = account.challenge()
    assert (
        account.post(TWO_FACTOR, {"two_factor_id": used, "code": account.next_code()}).status_code
        == 200
    )
    account.challenge()
    live_db.rows(
        "UPDATE django_twostep_challenge SET expires_at = now() - interval '1 second'"
        " WHERE id = (SELECT max(id) FROM django_twostep_challenge WHERE user_id = %s)",
        account.user_id,
    )
    # A lineage that ends revoked: a refresh token reused.
    stale = account.login(code=account.recovery_codes[1]).json()
    account.post(REFRESH, {"refresh_token": stale["refresh_token"]})
    account.post(REFRESH, {"refresh_token": stale["refresh_token"]})

    # Two overlapping runs (a slow cron job and the next one), while logins go on.
    runs = [manage(live_db, "twostep_cleanup"), manage(live_db, "twostep_cleanup")]
    logins = [account.login() for _ in range(3)]
    results = [finished(run) for run in runs]

    assert all(status == 0 for status, _, _ in results), results
    assert all(r.status_code == 401 for r in logins)  # two_factor_required, served meanwhile
    assert live_db.count("challenge", "user_id = %s AND expires_at <= now()", account.user_id) == 0
    assert (
        live_db.count("challenge", "user_id = %s AND consumed_at IS NOT NULL", account.user_id) == 0
    )
    # Revoked tokens are kept a day (to recognise reuse), then purged.
    assert live_db.count("apitoken", "user_id = %s AND revoked_at IS NOT NULL", account.user_id) > 0
    # A third run has nothing left to do; what is live still works.
    status, out, _ = finished(manage(live_db, "twostep_cleanup"))
    assert status == 0 and out.strip() == NOTHING_PURGED
    response = account.post(
        TWO_FACTOR, {"two_factor_id": live_id, "code": account.recovery_codes[0]}
    )
    assert response.status_code == 200, response.text
