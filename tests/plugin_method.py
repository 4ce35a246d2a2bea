"""A method that exists only in the tests: a fixed PIN, kept on a django-otp static
device. It proves the plug-in point: registered through ``TWOSTEP_METHODS``, with
no line of the package changed for it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import constant_time_compare
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from django_twostep.methods import Method

BUILT_IN = [
    "django_twostep.methods.totp.TOTPMethod",
    "django_twostep.methods.email.EmailMethod",
    "django_twostep.methods.recovery_codes.RecoveryCodesMethod",
]
WITH_PIN = [*BUILT_IN[:2], "tests.plugin_method.PinMethod", BUILT_IN[2]]
PIN = "48151623"
WRONG_PIN = "00000000"


class PinMethod(Method):
    """A fixed PIN (a test double of a site's own method, not a safe method)."""

    name = "pin"
    label = "PIN"
    device_model = StaticDevice
    digits_only = True

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        for device in self.devices(user) if devices is None else devices:
            if any(
                constant_time_compare(code, t)
                for t in device.token_set.values_list("token", flat=True)
            ):
                return device
        return None


def give_pin(user: AbstractBaseUser, pin: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="PIN", confirmed=True)
    device.token_set.create(token=pin)
    return device
