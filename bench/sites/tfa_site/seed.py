"""Users with an enrolled TOTP device, as django-two-factor-auth's set-up wizard leaves them.

The wizard saves a confirmed ``django_otp.plugins.otp_totp`` TOTPDevice named
"default" (that name is what makes it the user's default device).
"""

from benchkit.totp import secret_bytes
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


def seed(usernames: list[str], password_hash: str) -> None:
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=1000
        )
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(
                    user=user, name="default", key=secret_bytes(user.username).hex(), confirmed=True
                )
                for user in users
            ],
            batch_size=1000,
        )


def reset_replay_state() -> None:
    """Forget used steps and failures (between bench phases only, never timed)."""
    TOTPDevice.objects.update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
