"""Security keys and passkeys (WebAuthn): the method of the registry.

A ceremony, not a typed code: the browser (or an API client) signs a challenge
with a credential the user registered. Its flows are in :mod:`.flows`, its
pages in :mod:`.views` (``twostep:webauthn``, and the ceremonies of page 1,
page 2 and step-up), its API in :mod:`.api`
(``users/{username}/webauthn``, ``auth/passkey``). docs/webauthn.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ...flows.events import Origin
from ...models import WebAuthnCredential
from ..base import Method, Site
from . import flows


class WebAuthnMethod(Method):
    """Several named credentials per user; an assertion passes the second step."""

    name = "webauthn"
    label = _("security key")
    kind = "ceremony"
    device_model = WebAuthnCredential
    urls = "django_twostep.methods.webauthn.urls"
    api_urls = "django_twostep.methods.webauthn.api_urls"
    admin_class = "django_twostep.methods.webauthn.admin.WebAuthnCredentialAdmin"
    # One page lists the keys, adds one, renames and removes them.
    setup_url_name = "twostep:webauthn"
    removal_url_name = "twostep:webauthn"
    use_label = _("Use your security key")

    def settings_context(self, user: AbstractBaseUser) -> dict[str, Any]:
        return {"credentials": flows.credentials_of(user)}

    def purge_expired(self, now: datetime) -> list[tuple[str, int]]:
        return flows.purge_expired(now)

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        return None  # no typed code is ever a security key's

    def begin_ceremony(
        self,
        user: AbstractBaseUser | None,
        *,
        purpose: str,
        site: Site,
        login: int | None = None,
    ) -> dict[str, Any]:
        rp = flows.relying_party(site)
        options, _handle = flows.begin_assertion(user, rp, purpose, login=login)
        return {"publicKey": options}

    def verify_ceremony(
        self,
        user: AbstractBaseUser,
        response: Any,
        *,
        purpose: str,
        site: Site,
        login: int | None = None,
        origin: Origin | None = None,
    ) -> Device | None:
        assertion = flows.read_assertion(response, user=user)
        return flows.verify_assertion(
            assertion, flows.relying_party(site), purpose, user=user, login=login, origin=origin
        )
