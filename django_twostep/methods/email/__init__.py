"""E-mailed codes: the method of the registry (the flows are in flows/email.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ... import clock
from ...models import EmailDevice
from ..base import Method


class EmailMethod(Method):
    """The live code e-mailed to the user's confirmed address (a wrong one spends a try)."""

    name = "email"
    label = _("e-mail code")
    device_model = EmailDevice
    digits_only = True

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        device = (
            self.devices(user)
            .filter(code_expires_at__gt=clock.now())
            .exclude(code_digest="")
            .first()
        )
        return device if device is not None and device.consume_code(code) else None
