"""Reading allauth's MFA authenticators (``allauth.mfa``).

Secrets are opened the way allauth opens them: through the MFA adapter
(``MFA_ADAPTER``), whose ``decrypt()`` a site overrides when it encrypts them.

- ``totp``: the base32 secret, with allauth's site-wide ``MFA_TOTP_PERIOD`` and
  ``MFA_TOTP_DIGITS``. allauth keeps no last used step (it remembers used codes
  in the cache for one period) and learns no drift, so the import takes the
  latest step allauth could have accepted, the step of the import (or of the
  authenticator's ``last_used_at`` if that is later) plus ``MFA_TOTP_TOLERANCE``,
  as the last used one: no code allauth accepted before the import can be
  replayed here. The price: a code shown in the same period as the import
  (or the next ``MFA_TOTP_TOLERANCE`` periods) is refused; the next one works.
  The tolerance is django-twostep's (``TWOSTEP_TOTP_TOLERANCE``), drift starts
  at 0 and is learned from the first login.
- ``recovery_codes``: allauth derives the codes from an encrypted seed and
  marks used ones in a bit mask (or keeps a list of codes migrated into
  allauth); the unused ones, as allauth itself lists them, become our codes.
- ``webauthn`` (security keys, passkeys): allauth keeps the browser's
  ``RegistrationResponseJSON`` (``data["credential"]``) and reads the attested
  credential data from it each time, as this import does through allauth's own
  wrapper: the credential id, the COSE key and the AAGUID; the transports the
  browser listed; ``credProps.rk`` (allauth's "passwordless") as discoverable;
  the backup flags; the name and the dates. allauth never updates a counter, so
  the counter at registration is kept as the last one seen. The first key turns
  the WebAuthn method on; no recovery codes are made beyond allauth's unused ones.
- Any other type: ``unsupported_method``.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from django.apps import apps
from fido2 import cbor

from .. import clock
from ..conf import twostep_settings
from .base import (
    ImportFailed,
    TOTPSecret,
    UserPlan,
    WebAuthnKey,
    aaguid_text,
    key_name,
    transports_of,
)

MFA_APP = "allauth.mfa"


def _row(authenticator: Any) -> str:
    return f"{authenticator._meta.label} #{authenticator.pk} ({authenticator.type})"


def _decode_base32(secret: str) -> bytes:
    cleaned = "".join(secret.split()).upper().rstrip("=")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def read_plans() -> dict[Any, UserPlan]:
    """One plan per user with an allauth ``Authenticator``."""
    if not apps.is_installed(MFA_APP):
        raise ImportFailed(
            f"{MFA_APP!r} is not in INSTALLED_APPS: keep allauth's MFA app installed "
            "until the import has run."
        )
    from allauth.mfa import app_settings
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    adapter = get_adapter()
    period = app_settings.TOTP_PERIOD
    now_step = math.floor(clock.time() / period)
    plans: dict[Any, UserPlan] = {}
    for authenticator in Authenticator.objects.order_by("user_id", "pk"):
        plan = plans.setdefault(authenticator.user_id, UserPlan(authenticator.user_id))
        # allauth asks for a second factor as soon as a user has any authenticator.
        plan.had_active_method = True
        row = _row(authenticator)
        if authenticator.type == Authenticator.Type.TOTP:
            try:
                secret = adapter.decrypt(authenticator.data["secret"])
            except Exception as exc:
                # A wrong key or adapter would make every secret useless: stop, save nothing.
                raise ImportFailed(
                    f"{row}: the secret could not be decrypted through {type(adapter).__name__}"
                ) from exc
            try:
                key = _decode_base32(secret)
            except (binascii.Error, ValueError, AttributeError):
                plan.skip(row, "invalid_secret")
                continue
            if not key:
                plan.skip(row, "invalid_secret")
                continue
            last_step = now_step
            if authenticator.last_used_at is not None:
                used_step = math.floor(authenticator.last_used_at.timestamp() / period)
                last_step = max(last_step, used_step)
            plan.totp = TOTPSecret(
                row=row,
                key=key,
                step=period,
                digits=app_settings.TOTP_DIGITS,
                tolerance=twostep_settings.TOTP_TOLERANCE,
                last_t=last_step + app_settings.TOTP_TOLERANCE,
                last_used_at=authenticator.last_used_at,
            )
        elif authenticator.type == Authenticator.Type.RECOVERY_CODES:
            try:
                unused = RecoveryCodes(authenticator).get_unused_codes()
            except Exception as exc:
                raise ImportFailed(
                    f"{row}: the recovery codes could not be decrypted through "
                    f"{type(adapter).__name__}"
                ) from exc
            for code in unused:
                plan.add_recovery_code(code, row=row)
        elif authenticator.type == Authenticator.Type.WEBAUTHN:
            key = _webauthn_key(authenticator, row)
            if key is None:
                plan.skip(row, "invalid_credential")
            else:
                plan.add_webauthn_key(key)
        else:
            plan.skip(row, "unsupported_method")
    return plans


def _webauthn_key(authenticator: Any, row: str) -> WebAuthnKey | None:
    """The key an allauth ``webauthn`` authenticator holds, or None if it cannot be read."""
    data = authenticator.data if isinstance(authenticator.data, dict) else {}
    credential = data.get("credential")
    if not isinstance(credential, dict):
        return None
    try:
        # allauth's own reading of the stored registration (fido2's RegistrationResponse).
        auth_data = authenticator.wrap().authenticator_data
        attested = auth_data.credential_data
        public_key = cbor.encode(attested.public_key)
    except Exception:  # allauth and fido2 raise whatever a damaged JSON leads to
        return None
    if attested is None:
        return None
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    extensions = credential.get("clientExtensionResults")
    props = extensions.get("credProps") if isinstance(extensions, dict) else None
    return WebAuthnKey(
        row=row,
        credential_id=bytes(attested.credential_id),
        public_key=public_key,
        sign_count=auth_data.counter,
        name=key_name(data.get("name")),
        transports=transports_of(transports),
        aaguid=aaguid_text(bytes(attested.aaguid)),
        discoverable=bool(isinstance(props, dict) and props.get("rk")),
        backup_eligible=auth_data.is_backup_eligible(),
        backed_up=auth_data.is_backed_up(),
        created_at=authenticator.created_at,
        last_used_at=authenticator.last_used_at,
    )
