"""twostep_import --from django-otp: devices made with django-otp's own models and checks."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice

from django_twostep import crypto, flows
from django_twostep.errors import FlowError
from django_twostep.importing import import_methods
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import RecoveryCode, RecoveryCodeDevice, TOTPDevice
from django_twostep.testing import enroll_totp

from .conftest import base32_of_hex, log_in, phone

pytestmark = pytest.mark.django_db


def otp_user(make_user, clock, username="alice", *, tokens=3, use_a_code=True):
    """A user enrolled with django-otp: a TOTP device and static tokens, one code used."""
    user = make_user(username)
    device = OTPTOTPDevice.objects.create(user=user, name="default")
    if use_a_code:
        assert device.verify_token(phone(base32_of_hex(device.key)).at(clock.time()))
    static = StaticDevice.objects.create(user=user, name="backup")
    for _ in range(tokens):
        static.token_set.create(token=StaticToken.random_token())
    return user, device, static


def test_totp_keeps_secret_step_digits_drift_and_last_step(make_user, clock):
    user = make_user()
    old = OTPTOTPDevice.objects.create(user=user, name="default", digits=8, step=60, tolerance=2)
    app = phone(base32_of_hex(old.key), digits=8, period=60)
    # The phone runs one step ahead; django-otp learns that as drift.
    assert old.verify_token(app.at(clock.time() + 60))
    old.refresh_from_db()
    assert (old.drift, old.last_t) == (1, int(clock.time() // 60) + 1)

    report = import_methods("django-otp")

    assert report.users == [user.pk] and report.totp_devices == 1
    new = TOTPDevice.objects.get(user=user, confirmed=True)
    assert new.bin_key == old.bin_key
    assert not new.encrypted_key.startswith(old.key) and old.key not in new.encrypted_key
    assert crypto.is_current(new.encrypted_key)
    assert (new.step, new.t0, new.digits, new.tolerance) == (60, 0, 8, 2)
    assert (new.drift, new.last_t) == (old.drift, old.last_t)


def test_login_works_with_the_old_app_and_used_step_is_refused(make_user, clock):
    user, device, _static = otp_user(make_user, clock)
    used_code = phone(base32_of_hex(device.key)).at(clock.time())
    import_methods("django-otp")

    with pytest.raises(FlowError) as refused:
        log_in(user, used_code)
    assert refused.value.code == "invalid_code"

    clock.advance(30)
    result = log_in(user, phone(base32_of_hex(device.key)).at(clock.time()))
    assert result.user == user and result.verification.method == "totp"


def test_static_tokens_become_single_use_recovery_codes(make_user, clock):
    user, _device, static = otp_user(make_user, clock, tokens=4)
    first, second, third, fourth = list(
        static.token_set.order_by("pk").values_list("token", flat=True)
    )
    assert static.verify_token(first)  # used at django-otp: gone from its table
    report = import_methods("django-otp")
    assert (report.recovery_code_sets, report.recovery_codes) == (1, 3)
    assert flows.recovery_codes_remaining(user) == 3
    assert not RecoveryCode.objects.filter(digest__in=[first, second, third, fourth]).exists()

    result = log_in(user, second)
    assert result.verification.method == "recovery_code"
    clock.advance(1)
    with pytest.raises(FlowError) as again:
        log_in(user, second)
    assert again.value.code == "invalid_code"
    clock.advance(2)
    with pytest.raises(FlowError) as used_before:
        log_in(user, first)
    assert used_before.value.code == "invalid_code"
    clock.advance(4)
    # Typed as people type: capitals, spaces, a dash.
    assert log_in(user, f" {third[:4].upper()}-{third[4:].upper()} ").verification.method == (
        "recovery_code"
    )
    assert flows.recovery_codes_remaining(user) == 1


def test_recovery_code_through_django_otp_api_is_single_use(make_user, clock):
    user, _device, static = otp_user(make_user, clock, tokens=1)
    token = static.token_set.get().token
    import_methods("django-otp")
    ours = RecoveryCodeDevice.objects.get(user=user)
    assert ours.verify_token(token)
    assert not ours.verify_token(token)


def test_unconfirmed_extra_and_unsupported_rows_are_skipped(make_user, clock):
    alice = make_user("alice")
    kept = OTPTOTPDevice.objects.create(user=alice, name="default")
    extra = OTPTOTPDevice.objects.create(user=alice, name="tablet")
    bob = make_user("bob")
    unfinished = OTPTOTPDevice.objects.create(user=bob, name="default", confirmed=False)
    carol = make_user("carol")
    carol_static = StaticDevice.objects.create(user=carol, name="backup")
    carol_static.token_set.create(token=StaticToken.random_token())
    dave = make_user("dave")
    OTPTOTPDevice.objects.create(user=dave, name="default")
    short = StaticDevice.objects.create(user=dave, name="backup").token_set.create(token="abc")

    report = import_methods("django-otp")

    assert sorted(report.users) == [alice.pk, dave.pk]
    assert TOTPDevice.objects.get(user=alice).bin_key == kept.bin_key
    skipped = {(s.user_id, s.row, s.reason) for s in report.skipped}
    assert skipped == {
        (alice.pk, f"otp_totp.TOTPDevice #{extra.pk}", "another_totp_device"),
        (bob.pk, f"otp_totp.TOTPDevice #{unfinished.pk}", "not_confirmed"),
        (carol.pk, f"otp_static.StaticDevice #{carol_static.pk}", "no_authenticator_app"),
        (dave.pk, f"otp_static.StaticToken #{short.pk}", "unusable_code"),
    }
    # Bob never finished setting up; Carol had backup tokens that django-otp accepted.
    assert report.users_left_without_method == [carol.pk]
    assert not TOTPDevice.objects.filter(user__in=[bob, carol]).exists()


def test_user_with_a_django_twostep_method_is_left_alone(make_user, clock):
    user, _device, _static = otp_user(make_user, clock)
    ours = enroll_totp(user)
    report = import_methods("django-otp")
    assert report.users == []
    assert {s.reason for s in report.skipped} == {"already_enrolled"}
    assert list(TOTPDevice.objects.filter(user=user)) == [ours]
    assert TOTPDevice.objects.get(user=user).bin_key == ours.bin_key


def test_user_with_our_email_method_is_skipped_and_keeps_our_codes(make_user, clock):
    import re

    from django.core import mail

    from django_twostep.methods.email import flows as email_flows

    user, _device, _static = otp_user(make_user, clock)
    user.email = "someone@example.com"
    user.save()
    email_flows.begin_email_setup(user)
    ours = email_flows.confirm_email_setup(
        user, re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    ).recovery_codes
    report = import_methods("django-otp")
    assert report.users == []
    assert {s.reason for s in report.skipped} == {"already_enrolled"}
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert flows.verify_second_factor(user, ours[0]).method == "recovery_code"


def test_pending_django_twostep_setup_is_replaced(make_user, clock):
    user, device, _static = otp_user(make_user, clock)
    totp_flows.begin_totp_setup(user)
    import_methods("django-otp")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert TOTPDevice.objects.get(user=user).bin_key == device.bin_key


def _snapshot():
    return (
        list(TOTPDevice.objects.order_by("pk").values()),
        list(RecoveryCodeDevice.objects.order_by("pk").values()),
        list(RecoveryCode.objects.order_by("pk").values()),
    )


def test_second_run_changes_nothing(make_user, clock):
    for name in ("alice", "bob"):
        otp_user(make_user, clock, name)
    first = import_methods("django-otp")
    before = _snapshot()
    second = import_methods("django-otp")
    assert len(first.users) == 2 and second.users == []
    assert second.totp_devices == second.recovery_code_sets == 0
    assert set(second.reasons()) == {"already_enrolled"}
    assert _snapshot() == before


def test_dry_run_changes_nothing_and_reports_the_real_run(make_user, clock):
    for name in ("alice", "bob"):
        otp_user(make_user, clock, name)
    dry = import_methods("django-otp", dry_run=True)
    assert _snapshot() == ([], [], [])
    real = import_methods("django-otp")
    assert (dry.users, dry.totp_devices, dry.recovery_codes) == (
        real.users,
        real.totp_devices,
        real.recovery_codes,
    )


def test_failure_halfway_saves_nothing(make_user, clock, monkeypatch):
    for name in ("alice", "bob"):
        otp_user(make_user, clock, name)
    from django_twostep.importing import base

    real = base.store_recovery_codes
    calls = []

    def fail_on_second_user(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "store_recovery_codes", fail_on_second_user)
    with pytest.raises(RuntimeError):
        import_methods("django-otp")
    assert len(calls) == 2
    assert _snapshot() == ([], [], [])


def test_command_summary_shows_counts_and_reasons_but_no_secret_or_code(make_user, clock):
    _user, device, static = otp_user(make_user, clock)
    OTPTOTPDevice.objects.create(user=make_user("bob"), name="default", confirmed=False)
    tokens = list(static.token_set.values_list("token", flat=True))
    out = io.StringIO()
    call_command("twostep_import", "--from", "django-otp", stdout=out)
    text = out.getvalue()
    assert "Users imported: 1" in text
    assert "not_confirmed (1)" in text
    for secret in [device.key, base32_of_hex(device.key), *tokens]:
        assert secret.lower() not in text.lower()
    for row in TOTPDevice.objects.values_list("encrypted_key", flat=True):
        assert row not in text


def test_command_dry_run_says_so(make_user, clock):
    otp_user(make_user, clock)
    out = io.StringIO()
    call_command("twostep_import", "--from", "django-otp", "--dry-run", stdout=out)
    assert "nothing was saved" in out.getvalue()
    assert not TOTPDevice.objects.exists()


def test_command_refuses_unknown_source():
    with pytest.raises(CommandError):
        call_command("twostep_import", "--from", "duo")


def test_command_lists_twenty_rows_per_reason_unless_verbose(make_user, clock):
    for n in range(25):
        OTPTOTPDevice.objects.create(user=make_user(f"user{n}"), confirmed=False)
    out = io.StringIO()
    call_command("twostep_import", "--from", "django-otp", "--dry-run", stdout=out)
    assert out.getvalue().count(": otp_totp.TOTPDevice #") == 20
    assert "... and 5 more" in out.getvalue()
    out = io.StringIO()
    call_command("twostep_import", "--from", "django-otp", "--dry-run", "-v", "2", stdout=out)
    assert out.getvalue().count(": otp_totp.TOTPDevice #") == 25
