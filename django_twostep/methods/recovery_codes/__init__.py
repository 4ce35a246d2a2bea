"""Recovery codes: the backup of the other methods, in the registry.

Its flows are in :mod:`.flows`, its pages in :mod:`.views`
(``twostep:recovery-codes``), its API in :mod:`.api`
(``users/{username}/recovery-codes``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ...models import RecoveryCodeDevice
from ..base import Method
from . import flows
from .codes import recovery_code_candidates


class RecoveryCodesMethod(Method):
    """Single-use codes for a lost phone; made with the first method, gone with the last."""

    name = "recovery_code"
    label = _("recovery code")
    backup = True
    device_model = RecoveryCodeDevice
    urls = "django_twostep.methods.recovery_codes.urls"
    admin_class = "django_twostep.methods.recovery_codes.admin.RecoveryCodeDeviceAdmin"
    api_urls = "django_twostep.methods.recovery_codes.api_urls"
    template_dir = "django_twostep/recovery_codes"
    use_label = _("Use a recovery code")
    code_help_text = _("One of your recovery codes, such as abcd-efgh-jkmn.")
    code_phrase = _("one of your recovery codes")

    def devices(self, user: AbstractBaseUser, *, confirmed: bool = True) -> QuerySet[Device]:
        return self.device_model.objects.filter(user_id=user.pk)

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        candidates = recovery_code_candidates(code)
        device = self.devices(user).first() if candidates else None
        if device is not None:
            for candidate in candidates:
                if device.consume_code(candidate):
                    return device
        return None

    def stored_forms(self, code: str) -> list[str]:
        return recovery_code_candidates(code)

    def codes_remaining(self, user: AbstractBaseUser) -> int:
        return flows.recovery_codes_remaining(user)

    def issue_codes(self, user: AbstractBaseUser) -> list[str]:
        return flows.generate_recovery_codes(user)
