"""Authenticator apps (TOTP): set-up, activation by a first code, disabling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ... import qr
from ...conf import twostep_settings
from ...errors import FlowError
from ...flows.changes import Activation, method_activated, remove_method
from ...flows.codes import Refusal, checked, require_code
from ...flows.events import Origin
from ...flows.policy import authorize_method_change
from ...models import TOTPDevice

METHOD = "totp"
# What a person who typed a code a second time reads (the code is refused all the same).
CODE_USED = _("This code was already used. Wait for the next code from your authenticator app.")


@dataclass(frozen=True)
class TOTPEnrollment:
    """A pending authenticator-app secret, with the ways to show it."""

    device: TOTPDevice
    uri: str

    @property
    def secret(self) -> str:
        return self.device.base32_key

    @property
    def secret_grouped(self) -> str:
        """The secret in groups of four for typing by hand."""
        key = self.secret
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    def qr_svg(self) -> SafeString:
        return qr.svg(self.uri)

    def qr_png_base64(self) -> str:
        return qr.png_base64(self.uri)


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://totp/Issuer:account?...`` URI authenticator apps read."""
    issuer = twostep_settings.ISSUER
    account = device.user.get_username()
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = urlencode(
        {
            "secret": device.base32_key,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def begin_totp_setup(
    user: AbstractBaseUser, *, verified_at: datetime | None = None
) -> TOTPEnrollment:
    """Create a pending TOTP device with a fresh 160-bit secret.

    A pending device from an earlier call is replaced; an active one makes
    this refuse with ``already_enabled``. ``verified_at``: when the session or
    token asking last passed a second factor; a user who already has another
    method needs it within the step-up grace (``mfa_code_missing``).
    """
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
            raise FlowError("already_enabled")
        authorize_method_change(user, verified_at)
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        device = TOTPDevice(
            user=user,
            name="Authenticator app",
            confirmed=False,
            step=twostep_settings.TOTP_PERIOD,
            digits=twostep_settings.TOTP_DIGITS,
            tolerance=twostep_settings.TOTP_TOLERANCE,
        )
        device.set_key(secrets.token_bytes(20))
        device.save()
    return TOTPEnrollment(device=device, uri=provisioning_uri(device))


def pending_totp(user: AbstractBaseUser) -> TOTPEnrollment | None:
    """The user's pending enrolment, if any (so a reloaded page shows the same secret)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    return TOTPEnrollment(device=device, uri=provisioning_uri(device)) if device else None


def activate_totp(
    user: AbstractBaseUser,
    code: object,
    *,
    verified_at: datetime | None = None,
    origin: Origin | None = None,
) -> Activation:
    """Activate the pending TOTP device with a first code from the app.

    The phone's clock offset is learned here (as drift), and the step used is
    consumed so the same code cannot log in afterwards. Counts for back-off.
    A user who already has another method needs a verification within the
    step-up grace (``verified_at``), as for :func:`begin_totp_setup`.
    """
    first = authorize_method_change(user, verified_at)
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        active = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
        raise FlowError("already_enabled" if active else "not_enrolled")
    normalized = require_code(code)

    def check() -> TOTPDevice | Refusal | None:
        counter = device.match(normalized)
        if counter is not None and device.consume_step(counter, confirm=True):
            return device
        if counter is not None or device.used_step(normalized) is not None:
            # Another request used this code first (activated with it, say).
            return Refusal(METHOD, reason="code_used", detail=CODE_USED)
        return None

    checked(user, check, method=METHOD, origin=origin)
    return method_activated(user, device, METHOD, origin, first=first)


def disable_totp(
    user: AbstractBaseUser,
    code: object,
    *,
    chosen: str | None = None,
    origin: Origin | None = None,
) -> None:
    """Remove the user's TOTP device after a current code of any active method
    (TOTP or e-mail) or a recovery code: the code is the step-up. ``chosen``: the
    method the person said they were using (see :func:`~django_twostep.flows.codes.match_code`).

    When no method remains, the recovery codes and trusted browsers go too.
    """
    if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise FlowError("not_enrolled")  # a pending set-up is not turned off with a code
    remove_method(user, METHOD, code=code, chosen=chosen, origin=origin)
