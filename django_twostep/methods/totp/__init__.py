"""Authenticator apps (TOTP, RFC 6238): the method of the registry."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ...models import TOTPDevice
from ..base import Method


class TOTPMethod(Method):
    """A code from an authenticator app; each time step works once per device."""

    name = "totp"
    label = _("authenticator app")
    device_model = TOTPDevice

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        for device in self.devices(user) if devices is None else devices:
            counter = device.match(code)
            if counter is not None and device.consume_step(counter):
                return device
        return None
