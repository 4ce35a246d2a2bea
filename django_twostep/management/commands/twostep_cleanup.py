"""Purge expired pending logins, e-mailed codes, tokens, trusted browsers and old events."""

from typing import Any

from django.core.management.base import BaseCommand

from django_twostep.flows.maintenance import purge_expired


class Command(BaseCommand):
    help = (
        "Delete expired or used pending logins, expired e-mailed codes and send records, "
        "expired or revoked API tokens, expired trusted browsers and security events older "
        "than 180 days. Safe to run from cron at any frequency."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_expired()
        self.stdout.write(
            f"Purged {purged.challenges} pending login(s), {purged.email_codes} e-mailed "
            f"code(s), {purged.email_sends} send record(s), {purged.tokens} token(s), "
            f"{purged.trusted_browsers} trusted browser(s), {purged.events} event(s)."
        )
