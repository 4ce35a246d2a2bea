"""twostep_reset (admin rescue) and twostep_cleanup (housekeeping)."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from django_twostep import clock, flows
from django_twostep.errors import FlowError
from django_twostep.models import (
    ApiToken,
    Challenge,
    EmailSend,
    SecurityEvent,
    TrustedBrowser,
    UserThrottle,
)
from django_twostep.testing import current_code, enroll_totp, login_verified, wrong_code

pytestmark = pytest.mark.django_db


def make_token(user, *, refresh_in=3600, revoked=None):
    now = clock.now()
    return ApiToken.objects.create(
        user=user,
        family=uuid.uuid4(),
        access_digest=uuid.uuid4().hex,
        refresh_digest=uuid.uuid4().hex,
        created_at=now,
        access_expires_at=now + timedelta(seconds=60),
        refresh_expires_at=now + timedelta(seconds=refresh_in),
        revoked_at=revoked,
    )


def make_browser(user, *, expires_in=3600):
    now = clock.now()
    return TrustedBrowser.objects.create(
        user=user,
        digest=uuid.uuid4().hex,
        password_digest="x",
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in),
    )


def test_reset_removes_everything_and_allows_password_login(totp_user, twostep_clock, capsys):
    pending = flows.begin_login(totp_user)
    with pytest.raises(FlowError):
        flows.verify_login_code(pending.id, wrong_code(totp_user))
    token = make_token(totp_user)
    make_browser(totp_user)

    call_command("twostep_reset", "alice")

    assert "reset for 'alice'" in capsys.readouterr().out
    state = flows.two_factor_state(totp_user)
    assert (state.enabled, state.pending, state.recovery_codes_remaining) == (False, False, 0)
    assert not Challenge.objects.exists() and not TrustedBrowser.objects.exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert UserThrottle.objects.get(user=totp_user).failures == 0
    assert flows.begin_login(totp_user) is None  # password alone now
    assert SecurityEvent.objects.filter(user=totp_user, event="admin_reset").exists()


def test_reset_of_unknown_user_fails_cleanly():
    with pytest.raises(CommandError, match="No user"):
        call_command("twostep_reset", "nobody")


def test_reset_leaves_other_users_alone(totp_user, django_user_model, twostep_clock):
    other = django_user_model.objects.create_user("bystander", password="pw")
    enroll_totp(other)
    other_token = make_token(other)
    call_command("twostep_reset", "alice")
    assert flows.has_two_factor(other)
    other_token.refresh_from_db()
    assert other_token.revoked_at is None


def test_cleanup_purges_only_what_is_dead(totp_user, twostep_clock, capsys):
    live = flows.begin_login(totp_user)
    used = flows.begin_login(totp_user)
    flows.verify_login_code(used.id, current_code(totp_user))
    flows.begin_login(totp_user)  # expires below
    Challenge.objects.filter(pk=Challenge.objects.order_by("-pk").first().pk).update(
        expires_at=clock.now() - timedelta(seconds=1)
    )
    live_token = make_token(totp_user)
    make_token(totp_user, refresh_in=-1)
    make_token(totp_user, revoked=clock.now() - timedelta(days=2))
    live_browser = make_browser(totp_user)
    make_browser(totp_user, expires_in=-1)
    EmailSend.objects.create(user=totp_user, sent_at=clock.now() - timedelta(days=2))
    EmailSend.objects.create(user=totp_user, sent_at=clock.now())

    call_command("twostep_cleanup")
    out = capsys.readouterr().out
    assert "Purged 2 pending login(s)" in out

    assert list(Challenge.objects.values_list("pk", flat=True)) == [
        Challenge.objects.order_by("pk").first().pk
    ]
    flows.live_challenge(live.id)  # still usable
    assert set(ApiToken.objects.all()) == {live_token}
    assert set(TrustedBrowser.objects.all()) == {live_browser}
    assert EmailSend.objects.count() == 1

    call_command("twostep_cleanup")  # idempotent
    assert "Purged 0 pending login(s)" in capsys.readouterr().out


def test_admin_action_resets_selected_users(totp_user, client, admin_user, twostep_clock):
    enroll_totp(admin_user)  # the admin is only for verified sessions
    admin_client = login_verified(client, admin_user)
    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "reset_two_step_login", "_selected_action": [totp_user.pk]},
    )
    assert response.status_code == 302
    assert not flows.has_two_factor(totp_user)
    event = SecurityEvent.objects.get(user=totp_user, event="admin_reset")
    assert event.ip == "127.0.0.1"
