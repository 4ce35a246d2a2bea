"""E-mailed codes: the method of the registry.

Its flows are in :mod:`.flows`, its pages in :mod:`.views` (``twostep:email-setup``
and the "E-mail me a code" buttons), its API in :mod:`.api`
(``users/{username}/email-otp``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ... import clock
from ...flows.changes import Activation
from ...flows.events import Origin
from ...models import EmailDevice
from ..base import Method, Purpose
from . import flows


class EmailMethod(Method):
    """The live code e-mailed to the user's confirmed address (a wrong one spends a try)."""

    name = "email"
    label = _("e-mail code")
    device_model = EmailDevice
    digits_only = True
    sends_codes = True
    urls = "django_twostep.methods.email.urls"
    admin_class = "django_twostep.methods.email.admin.EmailDeviceAdmin"
    api_urls = "django_twostep.methods.email.api_urls"
    setup_url_name = "twostep:email-setup"
    removal_url_name = "twostep:email-setup"
    code_help_text = _("The 6-digit code we e-mailed to you.")
    code_phrase = _("one we e-mailed to you")
    use_label = _("Use a code we e-mail you")

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

    def begin_setup(
        self, user: AbstractBaseUser, *, verified_at: Any = None, origin: Origin | None = None
    ) -> EmailDevice:
        return flows.begin_email_setup(user, verified_at=verified_at, origin=origin)

    def activate(
        self,
        user: AbstractBaseUser,
        response: Any,
        *,
        verified_at: Any = None,
        origin: Origin | None = None,
    ) -> Activation:
        return flows.confirm_email_setup(user, response, verified_at=verified_at, origin=origin)

    def purge_expired(self, now: datetime) -> list[tuple[str, int]]:
        return flows.purge_expired(now)

    def send_code(
        self, user: AbstractBaseUser, *, purpose: Purpose, origin: Origin | None = None
    ) -> None:
        flows.send_code(user, flows.confirmed_device(user), purpose, origin)
