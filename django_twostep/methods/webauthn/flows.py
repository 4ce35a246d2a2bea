"""Security keys and passkeys (WebAuthn): registering credentials, and checking the
assertions a login, a step-up or a passkey login ends with.

The ceremonies are Yubico's ``fido2`` (its ``Fido2Server``), with the Level 3
JSON forms the browser's ``PublicKeyCredential.toJSON()`` gives. What this
module adds around it:

- every ceremony's challenge is kept (as a keyed digest) in a
  :class:`~django_twostep.models.WebAuthnChallenge` row bound to its user, to
  its purpose (``register``, ``login``, ``step_up``, ``passkey``), to the
  pending login it belongs to, and for a passkey login to the ``passkey_id``
  the client holds; it lives ``TWOSTEP_CHALLENGE_TTL`` seconds and is claimed by
  one conditional ``UPDATE`` before anything is verified, so it works once,
  after a success or a failure alike;
- a signature counter that does not grow (unless both are zero) is refused and
  recorded (``webauthn_counter_regressed``: a cloned key);
- a refused assertion counts for the user's back-off like a wrong code.

Nothing here sees a request: the faces pass the relying party
(:class:`RelyingParty`), made from their request by the glue.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext
from fido2 import cbor
from fido2.cose import CoseKey
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialType,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ... import clock, crypto
from ...conf import twostep_settings
from ...errors import FlowError
from ...flows import events
from ...flows.changes import Activation, method_activated, remove_method
from ...flows.codes import Verification, checked, lock_user, record_verification
from ...flows.events import Origin
from ...flows.login import LoginResult, check_login_allowed
from ...flows.policy import authorize_method_change
from ...models import Challenge, WebAuthnChallenge, WebAuthnCredential
from ..base import Site

METHOD = "webauthn"
CHALLENGE_PURPOSE = "webauthn-challenge"
HANDLE_PURPOSE = "webauthn-ceremony"
USER_HANDLE_PURPOSE = "webauthn-user-handle"
PURPOSES = ("register", "login", "step_up", "passkey")
MAX_NAME_LENGTH = 64
# A response larger than this is not a WebAuthn response (ours are a few kB).
MAX_RESPONSE_LENGTH = 64 * 1024


@dataclass(frozen=True)
class RelyingParty:
    """Who the ceremonies are for: the RP id (a domain), its name, the allowed origins."""

    id: str
    name: str
    origins: tuple[str, ...]


def relying_party(site: Site) -> RelyingParty:
    """The relying party for a request that came in at ``site``, under the
    ``TWOSTEP_WEBAUTHN_*`` settings (by default: the request's host and origin)."""
    configured = twostep_settings.WEBAUTHN_ORIGINS
    return RelyingParty(
        id=twostep_settings.WEBAUTHN_RP_ID or site.host,
        name=twostep_settings.WEBAUTHN_RP_NAME or twostep_settings.ISSUER,
        origins=tuple(configured) if configured else (site.origin,),
    )


@functools.lru_cache(maxsize=32)
def _server(rp: RelyingParty) -> Fido2Server:
    """fido2's server for ``rp``: it keeps no state between calls, so one per relying
    party serves every ceremony (the settings make the key: a changed setting makes
    another)."""
    allowed = frozenset(rp.origins)
    return Fido2Server({"id": rp.id, "name": rp.name}, verify_origin=allowed.__contains__)


def user_handle(user: AbstractBaseUser) -> bytes:
    """The WebAuthn user id of ``user``: a keyed digest of the primary key (32 bytes),
    stable, revealing nothing."""
    return bytes.fromhex(crypto.digest(str(user.pk), purpose=USER_HANDLE_PURPOSE))


def _uv_for(purpose: str) -> UserVerificationRequirement:
    if purpose == "passkey":
        return UserVerificationRequirement.REQUIRED
    return UserVerificationRequirement(twostep_settings.WEBAUTHN_USER_VERIFICATION)


def _descriptors(user: AbstractBaseUser) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            type=PublicKeyCredentialType.PUBLIC_KEY,
            id=websafe_decode(credential.credential_id),
            transports=credential.transports or None,
        )
        for credential in WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True)
    ]


def _keep_challenge(
    challenge: bytes,
    purpose: str,
    *,
    user: AbstractBaseUser | None,
    uv: UserVerificationRequirement,
    login: Challenge | int | None = None,
    handle: str = "",
) -> None:
    now = clock.now()
    WebAuthnChallenge.objects.create(
        digest=crypto.digest(websafe_encode(challenge), purpose=CHALLENGE_PURPOSE),
        handle_digest=crypto.digest(handle, purpose=HANDLE_PURPOSE) if handle else "",
        purpose=purpose,
        user_id=user.pk if user is not None else None,
        challenge_id=login.pk if isinstance(login, Challenge) else login,
        user_verification=uv.value,
        created_at=now,
        expires_at=now + timedelta(seconds=twostep_settings.CHALLENGE_TTL),
    )


def _claim_challenge(
    challenge: bytes,
    purpose: str,
    *,
    user: AbstractBaseUser | None,
    login: int | None = None,
    handle: str = "",
) -> WebAuthnChallenge | None:
    """Use up the live challenge ``challenge`` made for exactly this; None if there is none.

    One conditional ``UPDATE``: of requests racing with one response, one wins.
    """
    now = clock.now()
    live = WebAuthnChallenge.objects.filter(
        digest__in=crypto.digests(websafe_encode(challenge), purpose=CHALLENGE_PURPOSE),
        purpose=purpose,
        consumed_at__isnull=True,
        expires_at__gt=now,
    )
    live = live.filter(user_id=user.pk) if user is not None else live.filter(user__isnull=True)
    if login is not None:
        live = live.filter(challenge_id=login)
    if handle:
        live = live.filter(
            handle_digest__in=crypto.digests(handle, purpose=HANDLE_PURPOSE)
        ).exclude(handle_digest="")
    row = live.first()
    if row is None or not WebAuthnChallenge.objects.filter(
        pk=row.pk, consumed_at__isnull=True
    ).update(consumed_at=now):
        return None
    return row


def _parse(kind: type, response: Any) -> Any:
    """The browser's JSON parsed, or ``invalid_credential`` (a malformed answer)."""
    if not isinstance(response, dict) or len(repr(response)) > MAX_RESPONSE_LENGTH:
        raise FlowError("invalid_credential", parameter="credential")
    try:
        parsed = kind.from_dict(response)
    except Exception:  # fido2 raises whatever its parsing meets: all mean malformed
        raise FlowError("invalid_credential", parameter="credential") from None
    # fido2 reads an unknown "type" as missing (and then as "public-key"): refuse it here.
    if response.get("type", PublicKeyCredentialType.PUBLIC_KEY.value) != "public-key":
        raise FlowError("invalid_credential", parameter="credential")
    return parsed


# -- registering -----------------------------------------------------------------------


def begin_registration(
    user: AbstractBaseUser, rp: RelyingParty, *, verified_at: datetime | None = None
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for a new credential of ``user``.

    A user who has a method needs step-up first (``mfa_code_missing``).
    ``excludeCredentials`` lists the user's keys, so one key is not added twice.
    """
    authorize_method_change(user, verified_at)
    uv = _uv_for("register")
    username = user.get_username()
    options, state = _server(rp).register_begin(
        {"id": user_handle(user), "name": username, "displayName": username},
        _descriptors(user),
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=uv,
        # The browser then says whether the key is discoverable (a passkey).
        extensions={"credProps": True},
    )
    _keep_challenge(websafe_decode(state["challenge"]), "register", user=user, uv=uv)
    return dict(options.public_key)


def complete_registration(
    user: AbstractBaseUser,
    rp: RelyingParty,
    response: Any,
    *,
    name: object = "",
    verified_at: datetime | None = None,
    origin: Origin | None = None,
) -> tuple[WebAuthnCredential, Activation]:
    """Verify a ``RegistrationResponseJSON`` and keep the new credential.

    ``invalid_credential`` when it does not verify (wrong challenge, origin, RP
    id, or a challenge used, expired or made for another purpose or user);
    ``credential_exists`` when that key is registered already. The first
    credential turns two-step login on and makes recovery codes.
    """
    authorize_method_change(user, verified_at)  # refused before the challenge is spent
    label = _clean_name(name)
    registration = _parse(RegistrationResponse, response)
    client_data = registration.response.client_data
    row = _claim_challenge(client_data.challenge, "register", user=user)
    if row is None:
        raise FlowError("invalid_credential", parameter="credential")
    state = {"challenge": websafe_encode(client_data.challenge), "user_verification": None}
    state["user_verification"] = UserVerificationRequirement(row.user_verification)
    try:
        auth_data = _server(rp).register_complete(state, registration)
    except Exception:  # every refusal of fido2's is a ValueError; anything else is malformed
        raise FlowError("invalid_credential", parameter="credential") from None
    data = auth_data.credential_data
    # The key and what its activation writes (recovery codes, the event) commit together,
    # under the user's lock: of registrations racing while the user has no method, one
    # is the first (no step-up, it verifies its token); the others are asked again
    # once it is in, and need step-up then.
    with transaction.atomic():
        lock_user(user)
        first = authorize_method_change(user, verified_at)
        try:
            with transaction.atomic():
                credential = WebAuthnCredential.objects.create(
                    user=user,
                    name=label or gettext("Security key"),
                    confirmed=True,
                    credential_id=websafe_encode(data.credential_id),
                    public_key=cbor.encode(data.public_key),
                    sign_count=auth_data.counter,
                    transports=_transports(response),
                    aaguid=str(data.aaguid),
                    discoverable=_discoverable(response),
                    backup_eligible=auth_data.is_backup_eligible(),
                    backed_up=auth_data.is_backed_up(),
                    created_at=clock.now(),
                )
        except IntegrityError:
            raise FlowError("credential_exists") from None
        activation = method_activated(user, credential, METHOD, origin, first=first)
    return credential, activation


def _transports(response: dict[str, Any]) -> list[str]:
    """The transports the browser listed (``response.transports``: a list of strings)."""
    transports = response["response"].get("transports")
    if not isinstance(transports, list):
        return []
    return [t for t in transports if isinstance(t, str) and 0 < len(t) <= 32][:10]


def _discoverable(response: dict[str, Any]) -> bool:
    """Whether the browser said the credential is discoverable (``credProps``)."""
    results = response.get("clientExtensionResults") or {}
    props = results.get("credProps") if isinstance(results, dict) else None
    return bool(isinstance(props, dict) and props.get("rk"))


def _clean_name(name: object) -> str:
    if name in (None, ""):
        return ""
    if not isinstance(name, str) or len(name.strip()) > MAX_NAME_LENGTH:
        raise FlowError("validation_error", parameter="name")
    return name.strip()


# -- assertions ---------------------------------------------------------------------------


def begin_assertion(
    user: AbstractBaseUser | None,
    rp: RelyingParty,
    purpose: str,
    *,
    login: Challenge | int | None = None,
) -> tuple[dict[str, Any], str]:
    """``PublicKeyCredentialRequestOptionsJSON`` for ``purpose`` (``login``,
    ``step_up``, ``passkey``), and the ceremony's handle (the ``passkey_id`` of a
    passkey login; "" otherwise).

    A passkey login has no user yet: no ``allowCredentials``, so the browser
    offers the discoverable credentials it has for the site, with user
    verification required.
    """
    if purpose == "passkey" and not twostep_settings.PASSKEY_LOGIN:
        raise FlowError("passkey_login_disabled")
    uv = _uv_for(purpose)
    descriptors = _descriptors(user) if user is not None else []
    options, state = _server(rp).authenticate_begin(descriptors, user_verification=uv)
    handle = secrets.token_urlsafe(32) if purpose == "passkey" else ""
    _keep_challenge(
        websafe_decode(state["challenge"]), purpose, user=user, uv=uv, login=login, handle=handle
    )
    return dict(options.public_key), handle


@dataclass(frozen=True)
class Assertion:
    """A parsed assertion: which credential it claims to be, and its user."""

    response: AuthenticationResponse
    credential: WebAuthnCredential | None

    @property
    def user(self) -> AbstractBaseUser | None:
        return self.credential.user if self.credential is not None else None


def read_assertion(response: Any, *, user: AbstractBaseUser | None = None) -> Assertion:
    """Parse an ``AuthenticationResponseJSON`` and find its credential (``user``'s only,
    when given). ``invalid_credential`` when it is malformed."""
    parsed = _parse(AuthenticationResponse, response)
    found = WebAuthnCredential.objects.select_related("user").filter(
        credential_id=websafe_encode(parsed.raw_id), confirmed=True
    )
    if user is not None:
        found = found.filter(user_id=user.pk)
    return Assertion(parsed, found.first())


def verify_assertion(
    assertion: Assertion,
    rp: RelyingParty,
    purpose: str,
    *,
    user: AbstractBaseUser | None,
    login: int | None = None,
    handle: str = "",
    origin: Origin | None = None,
) -> WebAuthnCredential | None:
    """Check an assertion (from :func:`read_assertion`) for ``purpose``; the credential,
    or None when it does not verify.

    The challenge is claimed first, so it is spent by this try whatever
    follows. Runs inside :func:`~django_twostep.flows.codes.checked`, where
    None counts for the back-off. A counter that did not grow is refused and
    recorded.
    """
    parsed, credential = assertion.response, assertion.credential
    row = _claim_challenge(
        parsed.response.client_data.challenge,
        purpose,
        user=None if purpose == "passkey" else user,
        login=login,
        handle=handle,
    )
    if row is None or credential is None:
        return None
    state = {
        "challenge": websafe_encode(parsed.response.client_data.challenge),
        "user_verification": UserVerificationRequirement(row.user_verification),
    }
    stored = AttestedCredentialData.create(
        _aaguid_bytes(credential.aaguid),
        websafe_decode(credential.credential_id),
        CoseKey.parse(cbor.decode(bytes(credential.public_key))),
    )
    try:
        _server(rp).authenticate_complete(state, [stored], parsed)
    except Exception:  # a ValueError for every refusal; anything else is malformed
        return None
    counter = parsed.response.authenticator_data.counter
    if not _counter_grew(credential.sign_count, counter):
        events.record("webauthn_counter_regressed", credential.user, method=METHOD, origin=origin)
        return None
    # A counter raced past ours by another use of the same key is a regression too.
    same = WebAuthnCredential.objects.filter(pk=credential.pk)
    moved = same.filter(sign_count=0) if counter == 0 else same.filter(sign_count__lt=counter)
    if not moved.update(sign_count=counter, last_used_at=clock.now()):
        events.record("webauthn_counter_regressed", credential.user, method=METHOD, origin=origin)
        return None
    credential.sign_count = counter
    return credential


def _counter_grew(stored: int, presented: int) -> bool:
    """WebAuthn's rule: both zero (an authenticator without a counter), or it grew."""
    return (stored == 0 and presented == 0) or presented > stored


def _aaguid_bytes(aaguid: str) -> bytes:
    hexed = aaguid.replace("-", "")
    return bytes.fromhex(hexed) if len(hexed) == 32 else bytes(16)


# -- passkey login -----------------------------------------------------------------------------


def begin_passkey_login(rp: RelyingParty) -> tuple[dict[str, Any], str]:
    """Options for a login with a passkey alone, and its ``passkey_id`` (the client
    sends it back with the answer). ``passkey_login_disabled`` when
    ``TWOSTEP_PASSKEY_LOGIN`` is off."""
    return begin_assertion(None, rp, "passkey")


def complete_passkey_login(
    passkey_id: object, response: Any, rp: RelyingParty, *, origin: Origin | None = None
) -> LoginResult:
    """Log in with a discoverable credential and user verification: two factors at once.

    ``invalid_credential`` for an unknown credential, a response that does not
    verify, a ``passkey_id`` that is not this ceremony's, a user who may not log
    in, or a credential that is not discoverable (no user handle). A refused
    assertion of a known credential counts for its user's back-off.
    """
    if not twostep_settings.PASSKEY_LOGIN:
        raise FlowError("passkey_login_disabled")
    if not isinstance(passkey_id, str) or not 0 < len(passkey_id) <= 100:
        raise FlowError("invalid_credential", parameter="passkey_id")
    assertion = read_assertion(response)
    user = assertion.user
    if user is None or not assertion.response.response.user_handle or not _login_allowed(user):
        # Spend the challenge all the same: a ceremony works once, whatever its answer.
        # A user who may not log in (inactive, refused by the adapter) gets the same
        # answer as an unknown key, as a password login gives them the same as a
        # wrong password.
        _claim_challenge(
            assertion.response.response.client_data.challenge,
            "passkey",
            user=None,
            handle=passkey_id,
        )
        raise FlowError("invalid_credential", parameter="credential")

    def check() -> Verification | None:
        credential = verify_assertion(
            assertion, rp, "passkey", user=user, handle=passkey_id, origin=origin
        )
        return Verification(METHOD, credential) if credential is not None else None

    verification = checked(
        user,
        check,
        on_success=lambda found: record_verification(user, found, origin),
        method=METHOD,
        origin=origin,
        refusal="invalid_credential",
    )
    return LoginResult(user=user, verification=verification)


def _login_allowed(user: AbstractBaseUser) -> bool:
    try:
        check_login_allowed(user)
    except FlowError:
        return False
    return True


def purge_expired(now: datetime) -> list[tuple[str, int]]:
    """Forget the ceremonies that can no longer be answered (``twostep_cleanup``):
    used or expired challenges. A passkey login makes one without a login."""
    gone = WebAuthnChallenge.objects.filter(
        Q(expires_at__lte=now) | Q(consumed_at__isnull=False)
    ).delete()[0]
    return [("security key challenge(s)", gone)]


# -- managing credentials ---------------------------------------------------------------


def credentials_of(user: AbstractBaseUser) -> list[WebAuthnCredential]:
    """The user's credentials, oldest first."""
    return list(
        WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).order_by(
            "created_at", "pk"
        )
    )


def _credential_of(user: AbstractBaseUser, credential_pk: object) -> WebAuthnCredential:
    try:
        pk = int(str(credential_pk))
    except ValueError:
        raise FlowError("not_found") from None
    credential = WebAuthnCredential.objects.filter(user_id=user.pk, pk=pk).first()
    if credential is None:
        raise FlowError("not_found")
    return credential


def rename_credential(
    user: AbstractBaseUser, credential_pk: object, name: object
) -> WebAuthnCredential:
    """Give one of the user's credentials a new name (not a change of factors: no step-up)."""
    credential = _credential_of(user, credential_pk)
    label = _clean_name(name)
    if not label:
        raise FlowError("validation_error", parameter="name")
    credential.name = label
    credential.save(update_fields=["name"])
    return credential


def remove_credential(
    user: AbstractBaseUser,
    credential_pk: object,
    *,
    verified_at: datetime | None = None,
    origin: Origin | None = None,
) -> None:
    """Remove one credential, after step-up; the last one removes the method (and, if
    it was the user's last method, the recovery codes and trusted browsers)."""
    _credential_of(user, credential_pk)
    with transaction.atomic():
        # Under the user's lock: two removals at once cannot each see the other's key
        # as the one that remains (and leave the user with no key, but recovery codes).
        lock_user(user)
        credential = _credential_of(user, credential_pk)
        others = WebAuthnCredential.objects.filter(user_id=user.pk).exclude(pk=credential.pk)
        if not others.exists():
            remove_method(user, METHOD, verified_at=verified_at, origin=origin)
            return
        authorize_method_change(user, verified_at)
        WebAuthnCredential.objects.filter(pk=credential.pk).delete()
        events.record("disabled", user, method=METHOD, origin=origin)


__all__ = [
    "Assertion",
    "RelyingParty",
    "begin_assertion",
    "begin_passkey_login",
    "begin_registration",
    "complete_passkey_login",
    "complete_registration",
    "credentials_of",
    "read_assertion",
    "relying_party",
    "remove_credential",
    "rename_credential",
    "user_handle",
    "verify_assertion",
]
