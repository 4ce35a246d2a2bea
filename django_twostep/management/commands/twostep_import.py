"""Give users of django-otp, django-two-factor-auth or allauth MFA the same methods here.

Security keys and passkeys come along: allauth's ``webauthn`` authenticators
(``--from allauth``), and with ``--from django-otp`` or ``--from two-factor`` the
keys of django-two-factor-auth's WebAuthn plug-in and of django-otp-webauthn.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_twostep.importing import (
    REASONS,
    SOURCES,
    ImportFailed,
    ImportReport,
    Skipped,
    import_methods,
)
from django_twostep.importing.base import usernames

# Rows listed per reason at the default verbosity; -v 2 lists them all.
_ROWS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Create django-twostep methods for users enrolled with django-otp, "
        "django-two-factor-auth (with its WebAuthn plug-in), django-otp-webauthn or allauth "
        "MFA: TOTP secrets re-encrypted with their counters kept, security keys and "
        "passkeys (WebAuthn credentials) that keep working without being registered again, "
        "unused static tokens / recovery codes as recovery codes. "
        "All or nothing; users who already have a django-twostep method are skipped, "
        "so running it again changes nothing. Never prints a secret or a code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            choices=SOURCES,
            help=(
                "the package the users enrolled with (two-factor: django-two-factor-auth; "
                "django-otp and two-factor also read the WebAuthn keys of "
                "django-two-factor-auth's plug-in and of django-otp-webauthn)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="do everything in a transaction that is rolled back, and report it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_methods(options["source"], dry_run=options["dry_run"])
        except ImportFailed as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        self.write_summary(report, verbosity=options["verbosity"])

    def write_summary(self, report: ImportReport, *, verbosity: int) -> None:
        out = self.stdout
        if report.dry_run:
            out.write(f"Dry run of the import from {report.source}: nothing was saved.")
        else:
            out.write(self.style.SUCCESS(f"Imported from {report.source}."))
        out.write(f"Users imported: {len(report.users)}")
        out.write(
            f"Methods created: {report.totp_devices} authenticator app(s), "
            f"{report.webauthn_credentials} security key(s), "
            f"{report.recovery_code_sets} recovery code set(s) "
            f"with {report.recovery_codes} code(s)"
        )

        def shown(rows: list[Any]) -> list[Any]:
            return rows if verbosity >= 2 else rows[:_ROWS_SHOWN]

        keys = report.webauthn_keys
        if keys:
            key_names = usernames([key.user_id for key in shown(keys)])
            out.write(f"Security keys imported ({len(keys)}):")
            for key in shown(keys):
                out.write(f"    user {key.user_id} ({key_names.get(key.user_id, '?')}): {key.row}")
            if len(shown(keys)) < len(keys):
                out.write(f"    ... and {len(keys) - _ROWS_SHOWN} more (-v 2 lists them all)")
        out.write(f"Rows skipped: {len(report.skipped)}")

        by_reason: dict[str, list[Skipped]] = defaultdict(list)
        for skip in report.skipped:
            by_reason[skip.reason].append(skip)
        left = report.users_left_without_method
        # Usernames only of the users printed: a second run skips everybody.
        listed = [s.user_id for skips in by_reason.values() for s in shown(skips)]
        names = usernames([*listed, *shown(left)])

        def who(user_id: Any) -> str:
            return f"user {user_id} ({names.get(user_id, '?')})"

        for reason, explanation in REASONS.items():
            skips = by_reason.get(reason, [])
            if not skips:
                continue
            out.write(f"  {reason} ({len(skips)}): {explanation}")
            for skip in shown(skips):
                out.write(f"    {who(skip.user_id)}: {skip.row}")
            if len(shown(skips)) < len(skips):
                out.write(f"    ... and {len(skips) - _ROWS_SHOWN} more (-v 2 lists them all)")
        if left:
            out.write(
                self.style.WARNING(
                    f"Users who had a second factor and get none: {len(left)}. After the "
                    "switch they log in with their password alone until they set one up."
                )
            )
            for user_id in shown(left):
                out.write(f"    {who(user_id)}")
            if len(shown(left)) < len(left):
                out.write(f"    ... and {len(left) - _ROWS_SHOWN} more (-v 2 lists them all)")
