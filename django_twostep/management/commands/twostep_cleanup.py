"""Purge expired pending logins, e-mailed codes, tokens, trusted browsers and old events."""

from typing import Any

from django.core.management.base import BaseCommand

from django_twostep.flows.maintenance import purge_expired


class Command(BaseCommand):
    help = (
        "Delete expired or used pending logins, what each method keeps and no longer needs "
        "(expired e-mailed codes and send records, used or expired security key challenges), "
        "expired or revoked API tokens, expired trusted browsers and security events older "
        "than 180 days. Safe to run from cron at any frequency."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_expired()
        parts = [
            f"{purged.challenges} pending login(s)",
            *(f"{count} {what}" for what, count in purged.by_methods),
            f"{purged.tokens} token(s)",
            f"{purged.trusted_browsers} trusted browser(s)",
            f"{purged.events} event(s)",
        ]
        self.stdout.write(f"Purged {', '.join(parts)}.")
