"""Rescue a locked-out user: remove every two-step method, pending login and token."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_twostep.flows.maintenance import reset_two_factor


class Command(BaseCommand):
    help = (
        "Reset a user's two-step login: removes authenticator apps, e-mail method, recovery "
        "codes, pending logins and trusted browsers, revokes API tokens, clears the back-off. "
        "The user can then log in with the password and enrol again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        model = get_user_model()
        try:
            user = model._default_manager.get_by_natural_key(username)
        except model.DoesNotExist as exc:
            raise CommandError(f"No user with username {username!r}.") from exc
        reset_two_factor(user)
        self.stdout.write(f"Two-step login reset for {username!r}.")
