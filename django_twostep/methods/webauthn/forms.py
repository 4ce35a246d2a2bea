"""Forms of the security keys' page: adding a key (its name and the browser's answer)
and renaming one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ...errors import FlowError
from ...flows.changes import Activation
from ...flows.events import Origin
from ...forms import read_credential
from ...models import WebAuthnCredential
from . import flows

NAME_HELP = _("So you can tell your keys apart, such as “Blue key” or “Work laptop”.")


class AddKeyForm(forms.Form):
    """A new key: the name the user gives it, and the browser's answer to the creation
    ceremony (``credential``, filled in by the page's script)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=flows.MAX_NAME_LENGTH,
        required=False,
        help_text=NAME_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    credential = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    error_messages = {
        "credential_missing": _(
            "No key answered. Adding one needs a browser that supports security keys, "
            "with JavaScript on."
        ),
    }

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        rp: flows.RelyingParty,
        verified_at: datetime | None = None,
        origin: Origin | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.rp = rp
        self.verified_at = verified_at
        self.origin = origin
        self.flow_error: FlowError | None = None
        self.result: tuple[WebAuthnCredential, Activation] | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        raw = cleaned.get("credential")
        if not raw:
            message = self.error_messages["credential_missing"]
            raise ValidationError(message, code="credential_missing")
        try:
            self.result = flows.complete_registration(
                self.user,
                self.rp,
                read_credential(raw),
                name=cleaned.get("name") or "",
                verified_at=self.verified_at,
                origin=self.origin,
            )
        except FlowError as error:
            self.flow_error = error
            field = "name" if error.parameter == "name" else None
            self.add_error(field, ValidationError(error.detail, code=error.code))
        return cleaned


class RenameKeyForm(forms.Form):
    """A key's new name."""

    name = forms.CharField(max_length=flows.MAX_NAME_LENGTH, strip=True)
