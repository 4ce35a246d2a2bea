"""Users with TOTP and recovery codes, as allauth's own activation leaves them.

``allauth.mfa`` activation saves a TOTP Authenticator (secret through the MFA
adapter's ``encrypt``) and, on first activation, a recovery-codes Authenticator.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import encrypt
from benchkit.totp import secret_b32
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction


def seed(usernames: list[str], password_hash: str) -> None:
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=1000
        )
        authenticators = []
        for user in users:
            authenticators.append(
                Authenticator(
                    user=user,
                    type=Authenticator.Type.TOTP,
                    data={"secret": encrypt(secret_b32(user.username))},
                )
            )
            authenticators.append(
                Authenticator(
                    user=user,
                    type=Authenticator.Type.RECOVERY_CODES,
                    data={"seed": encrypt(RecoveryCodes.generate_seed()), "used_mask": 0},
                )
            )
        Authenticator.objects.bulk_create(authenticators, batch_size=1000)


def reset_replay_state() -> None:
    """allauth remembers used codes in the cache (per process); forget them."""
    cache.clear()
