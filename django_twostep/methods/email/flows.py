"""E-mailed codes: confirming the address, sending codes for login and step-up.

A code is 6 digits (``TWOSTEP_EMAIL_CODE_DIGITS``), lives
``TWOSTEP_EMAIL_CODE_TTL`` seconds, works once, survives
``TWOSTEP_EMAIL_CODE_MAX_ATTEMPTS`` wrong tries, and is stored only as a keyed
digest; a new code voids the previous one. Sending is limited per user (one
per ``TWOSTEP_EMAIL_RESEND_INTERVAL`` seconds, ``TWOSTEP_EMAIL_MAX_PER_HOUR``
an hour), counting every code sent for any purpose. Delivery goes through the
adapter (:meth:`django_twostep.adapter.DefaultAdapter.send_code`).
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from ... import clock, crypto
from ...adapter import get_adapter
from ...conf import twostep_settings
from ...errors import FlowError
from ...flows import events
from ...flows.changes import Activation, method_activated, remove_method
from ...flows.codes import checked, lock_user, require_code
from ...flows.delivery import send_login_code as send_pending_login_code
from ...flows.delivery import send_step_up_code as send_code_for_step_up
from ...flows.events import Origin
from ...flows.policy import authorize_method_change
from ...models import EMAIL_CODE_PURPOSE, EmailDevice, EmailSend

METHOD = "email"

_HOUR = timedelta(hours=1)


def user_address(user: AbstractBaseUser) -> str:
    """The user's e-mail address ('' when none)."""
    return getattr(user, user.get_email_field_name(), "") or ""


def send_wait(user: AbstractBaseUser, now: datetime | None = None) -> int:
    """Seconds (rounded up) before another code may be e-mailed to the user; 0: now."""
    now = now or clock.now()
    cap = twostep_settings.EMAIL_MAX_PER_HOUR
    recent = list(
        EmailSend.objects.filter(user_id=user.pk, sent_at__gt=now - _HOUR)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)[:cap]
    )
    waits = [0.0]
    if recent:
        interval = timedelta(seconds=twostep_settings.EMAIL_RESEND_INTERVAL)
        waits.append((recent[0] + interval - now).total_seconds())
    if len(recent) >= cap:
        waits.append((recent[cap - 1] + _HOUR - now).total_seconds())
    return max(0, math.ceil(max(waits)))


def send_code(
    user: AbstractBaseUser, device: EmailDevice, purpose: str, origin: Origin | None
) -> None:
    """E-mail a fresh code to ``device``'s address, within the sending limits."""
    digits = twostep_settings.EMAIL_CODE_DIGITS
    code = "".join(secrets.choice("0123456789") for _ in range(digits))
    ttl = twostep_settings.EMAIL_CODE_TTL
    with transaction.atomic():
        lock_user(user)  # two sends for one user cannot both pass the limits
        now = clock.now()
        wait = send_wait(user, now)
        if wait:
            raise FlowError("resend_too_soon", retry_after=wait)
        device.code_digest = crypto.digest(f"{device.pk}:{code}", purpose=EMAIL_CODE_PURPOSE)
        device.code_expires_at = now + timedelta(seconds=ttl)
        device.code_attempts_left = twostep_settings.EMAIL_CODE_MAX_ATTEMPTS
        device.save(update_fields=["code_digest", "code_expires_at", "code_attempts_left"])
        EmailSend.objects.create(user_id=user.pk, sent_at=now)
        # Inside the transaction: if delivery fails, the code is void and not counted.
        get_adapter().send_code(user, code, purpose=purpose, address=device.email, expires_in=ttl)
    events.record("email_code_sent", user, method=METHOD, origin=origin)


def confirmed_device(user: AbstractBaseUser) -> EmailDevice:
    device = EmailDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        raise FlowError("method_not_available", parameter="method")
    return device


def begin_email_setup(
    user: AbstractBaseUser, *, verified_at: datetime | None = None, origin: Origin | None = None
) -> EmailDevice:
    """E-mail a confirmation code to the user's address (a pending e-mail method).

    ``method_not_available`` without an address, ``already_enabled`` when the
    method is active, ``resend_too_soon`` (with ``retry_after``) when the
    sending limits bite. A user who already has another method needs a
    verification within the step-up grace (``verified_at``; else
    ``mfa_code_missing``).
    """
    address = user_address(user)
    if not address:
        raise FlowError("method_not_available", parameter="email")
    if has_email_method(user):
        raise FlowError("already_enabled")
    authorize_method_change(user, verified_at)  # before anything is written
    device, _created = EmailDevice.objects.get_or_create(
        user_id=user.pk, defaults={"email": address, "name": "E-mail", "confirmed": False}
    )
    if device.confirmed:
        raise FlowError("already_enabled")
    if device.email != address:
        device.email = address
        device.save(update_fields=["email"])
    send_code(user, device, "setup", origin)
    return device


def confirm_email_setup(
    user: AbstractBaseUser,
    code: object,
    *,
    verified_at: datetime | None = None,
    origin: Origin | None = None,
) -> Activation:
    """Activate the e-mail method with the code that was sent. Counts for back-off.

    Step-up as for :func:`begin_email_setup`; only a first method verifies.
    """
    first = authorize_method_change(user, verified_at)
    device = EmailDevice.objects.filter(user_id=user.pk).first()
    if device is None:
        raise FlowError("not_enrolled")
    if device.confirmed:
        raise FlowError("already_enabled")
    normalized = require_code(code)
    checked(
        user,
        lambda: device if device.consume_code(normalized, confirm=True) else None,
        method=METHOD,
        origin=origin,
    )
    return method_activated(user, device, METHOD, origin, first=first)


def remove_email_method(
    user: AbstractBaseUser, *, verified_at: datetime | None = None, origin: Origin | None = None
) -> None:
    """Remove the e-mail method (pending or active), after step-up (``verified_at``)."""
    remove_method(user, METHOD, verified_at=verified_at, origin=origin)


def send_login_code(challenge_id: object, *, origin: Origin | None = None) -> None:
    """E-mail a code for a pending login (``two_factor_expired`` if it is dead)."""
    send_pending_login_code(challenge_id, method=METHOD, origin=origin)


def send_step_up_code(user: AbstractBaseUser, *, origin: Origin | None = None) -> None:
    """E-mail a code to a logged-in user who must step up."""
    send_code_for_step_up(user, method=METHOD, origin=origin)


def purge_expired(now: datetime) -> list[tuple[str, int]]:
    """Void expired codes and forget send records older than a day (``twostep_cleanup``)."""
    codes = (
        EmailDevice.objects.filter(code_expires_at__lte=now)
        .exclude(code_digest="")
        .update(code_digest="", code_attempts_left=0)
    )
    sends = EmailSend.objects.filter(sent_at__lte=now - timedelta(days=1)).delete()[0]
    return [("e-mailed code(s)", codes), ("send record(s)", sends)]


def code_lifetime_minutes() -> int:
    """How long an e-mailed code works, in whole minutes (at least one), for messages."""
    return max(1, twostep_settings.EMAIL_CODE_TTL // 60)


def masked_address(address: str) -> str:
    """``d***@example.com``: enough to recognise one's own address on a page."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def pending_email_setup(user: AbstractBaseUser) -> EmailDevice | None:
    """The user's e-mail method waiting for its confirmation code, if any."""
    return EmailDevice.objects.filter(user_id=user.pk, confirmed=False).first()


def has_email_method(user: AbstractBaseUser) -> bool:
    return EmailDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
