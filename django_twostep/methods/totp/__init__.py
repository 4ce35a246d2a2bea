"""Authenticator apps (TOTP, RFC 6238): the method of the registry.

Its flows are in :mod:`.flows`, its pages in :mod:`.views` (``twostep:totp-setup``,
``twostep:totp-disable``), its API in :mod:`.api` (``users/{username}/otp``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ...flows.changes import Activation
from ...flows.events import Origin
from ...models import TOTPDevice
from ..base import CodeAlreadyUsed, Method
from . import flows
from .flows import CODE_USED


class TOTPMethod(Method):
    """A code from an authenticator app; each time step works once per device."""

    name = "totp"
    label = _("authenticator app")
    device_model = TOTPDevice
    digits_only = True
    preload_relation = "twostep_totp_devices"
    urls = "django_twostep.methods.totp.urls"
    admin_class = "django_twostep.methods.totp.admin.TOTPDeviceAdmin"
    api_urls = "django_twostep.methods.totp.api_urls"
    setup_url_name = "twostep:totp-setup"
    removal_url_name = "twostep:totp-disable"
    use_label = _("Use your authenticator app")
    code_help_text = _("The 6-digit code your authenticator app shows now.")
    code_phrase = _("a code from your authenticator app")

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        used = False
        for device in self.devices(user) if devices is None else devices:
            counter = device.match(code)
            if counter is not None and device.consume_step(counter):
                return device
            # A step already used, or used by another request a moment ago.
            used = used or counter is not None or device.used_step(code) is not None
        if used:
            raise CodeAlreadyUsed(CODE_USED)
        return None

    def begin_setup(
        self, user: AbstractBaseUser, *, verified_at: Any = None, origin: Origin | None = None
    ) -> flows.TOTPEnrollment:
        return flows.begin_totp_setup(user, verified_at=verified_at)

    def activate(
        self,
        user: AbstractBaseUser,
        response: Any,
        *,
        verified_at: Any = None,
        origin: Origin | None = None,
    ) -> Activation:
        return flows.activate_totp(user, response, verified_at=verified_at, origin=origin)
