"""Re-encrypt every stored secret under the newest key of TWOSTEP_ENCRYPTION_KEYS."""

from typing import Any

from django.core.management.base import BaseCommand

from django_twostep import crypto
from django_twostep.models import TOTP_SECRET_PURPOSE, TOTPDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt every TOTP secret under the first key of TWOSTEP_ENCRYPTION_KEYS, "
        "so older keys can then be removed. Safe to run more than once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        moved = current = 0
        for pk, sealed in TOTPDevice.objects.values_list("pk", "encrypted_key").iterator():
            if crypto.is_current(sealed):
                current += 1
                continue
            plain = crypto.decrypt(sealed, purpose=TOTP_SECRET_PURPOSE)
            resealed = crypto.encrypt(plain, purpose=TOTP_SECRET_PURPOSE)
            # Conditional: a secret replaced meanwhile (new enrolment) is left alone.
            moved += TOTPDevice.objects.filter(pk=pk, encrypted_key=sealed).update(
                encrypted_key=resealed
            )
        self.stdout.write(f"Re-encrypted {moved} secret(s); {current} already used the newest key.")
