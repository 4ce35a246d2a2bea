"""Users with a password and nothing else: a one-step login has no second factor."""

from django.contrib.auth import get_user_model
from django.db import transaction


def seed(usernames: list[str], password_hash: str) -> None:
    User = get_user_model()
    with transaction.atomic():
        User.objects.bulk_create(
            [User(username=name, password=password_hash) for name in usernames], batch_size=1000
        )
