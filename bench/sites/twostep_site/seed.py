"""Users with TOTP enrolled through django-twostep's own flows, or in bulk for scale.

:func:`seed` goes through ``begin_totp_setup`` and ``activate_totp`` (with the
bench's known secret put on the pending device), so each user also gets the
recovery codes, back-off row and events that a real activation leaves. Then it
makes the passkey login's users (:func:`benchkit.passkey.passkey_user`, one beside
each), each registering a passkey as their first method (``begin_registration``
and ``complete_registration``, answered by :class:`benchkit.passkey.Passkey`,
whose key is derived from the username; recovery codes come with it), and keeps
the user handles the server chose where the passkey login's client finds them
(:func:`benchkit.passkey.store_path`).
:func:`seed_bulk` writes the same rows with ``bulk_create`` for the 100,000-user
population (recovery-code digests there are random: no one logs in with them).
"""

import os
import secrets

from benchkit import passkey
from benchkit.totp import code_for, secret_bytes
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from django_twostep.conf import twostep_settings
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import (
    RecoveryCode,
    RecoveryCodeDevice,
    TOTPDevice,
    UserThrottle,
)


def seed(usernames: list[str], password_hash: str) -> None:
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=1000
        )
        for user in users:
            enrollment = totp_flows.begin_totp_setup(user)
            enrollment.device.set_key(secret_bytes(user.username))
            enrollment.device.save(update_fields=["encrypted_key"])
            totp_flows.activate_totp(user, code_for(user.username))
    seed_passkeys([passkey.passkey_user(name) for name in usernames], password_hash)
    reset_replay_state()


def seed_passkeys(usernames: list[str], password_hash: str) -> None:
    """Users whose one method is a passkey, registered through the package's flows
    (the first method: no step-up, and it makes recovery codes)."""
    try:
        from django_twostep.methods.base import Site
        from django_twostep.methods.webauthn import flows as webauthn_flows
    except ImportError:  # no security keys in this version: no passkey login to measure
        return
    User = get_user_model()
    rp = webauthn_flows.relying_party(Site(host=passkey.RP_ID, origin=passkey.ORIGIN))
    handles = {}
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=1000
        )
        for user in users:
            key = passkey.Passkey(user.username, None)
            options = webauthn_flows.begin_registration(user, rp)
            webauthn_flows.complete_registration(
                user, rp, key.register(options), name="Bench passkey"
            )
            handles[user.username] = key.user_handle
        # The back-off row a user's first checked code or assertion makes (a TOTP
        # activation does, a key's registration does not): every login timed is then
        # a returning user's, as for the TOTP users.
        UserThrottle.objects.bulk_create(
            [UserThrottle(user=user) for user in users], batch_size=2000, ignore_conflicts=True
        )
    passkey.save_handles(os.environ["BENCH_DB"], handles)


def seed_bulk(usernames: list[str], password_hash: str) -> None:
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=2000
        )
        devices = []
        for user in users:
            device = TOTPDevice(
                user=user,
                name="Authenticator app",
                confirmed=True,
                step=twostep_settings.TOTP_PERIOD,
                digits=twostep_settings.TOTP_DIGITS,
                tolerance=twostep_settings.TOTP_TOLERANCE,
            )
            device.set_key(secret_bytes(user.username))
            devices.append(device)
        TOTPDevice.objects.bulk_create(devices, batch_size=2000)
        code_sets = RecoveryCodeDevice.objects.bulk_create(
            [
                RecoveryCodeDevice(user=user, name="Recovery codes", confirmed=True)
                for user in users
            ],
            batch_size=2000,
        )
        RecoveryCode.objects.bulk_create(
            [
                RecoveryCode(device=device, digest=secrets.token_hex(32), created_at=now)
                for device in code_sets
                for _ in range(10)
            ],
            batch_size=5000,
        )
        UserThrottle.objects.bulk_create(
            [UserThrottle(user=user) for user in users], batch_size=2000
        )


def reset_replay_state() -> None:
    """Forget used steps and failures (between bench phases only, never timed)."""
    TOTPDevice.objects.update(last_t=-1, drift=0)
    UserThrottle.objects.update(failures=0, locked_until=None)
