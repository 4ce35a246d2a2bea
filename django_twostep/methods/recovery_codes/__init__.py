"""Recovery codes: the backup of the other methods, in the registry."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ...models import RecoveryCodeDevice
from ..base import Method


class RecoveryCodesMethod(Method):
    """Single-use codes for a lost phone; made with the first method, gone with the last."""

    name = "recovery_code"
    label = _("recovery code")
    backup = True
    device_model = RecoveryCodeDevice

    def devices(self, user: AbstractBaseUser, *, confirmed: bool = True) -> QuerySet[Device]:
        return self.device_model.objects.filter(user_id=user.pk)

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        from ...flows.codes import recovery_code_candidates

        candidates = recovery_code_candidates(code)
        device = self.devices(user).first() if candidates else None
        if device is not None:
            for candidate in candidates:
                if device.consume_code(candidate):
                    return device
        return None
