from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "twostep-demo-1"


class Command(BaseCommand):
    help = "Create (or reset) the example site's demo user and print its credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo@example.com"}
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        self.stdout.write(
            f"Demo user {'created' if created else 'reset'}: "
            f"username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}"
        )
