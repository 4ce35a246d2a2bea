"""Forms of the pages: input checks here, business rules in :mod:`django_twostep.flows`.

Every form that takes a code runs one flow in :meth:`CodeForm.verify`; a
:class:`~django_twostep.errors.FlowError` becomes a ``ValidationError`` on the
``code`` field with the same code (``invalid_code``, ``too_many_attempts``,
...), and stays on the form as ``flow_error`` so the view can act on it (the
wait in seconds, a burned login).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from . import flows
from .errors import CATALOGUE, FlowError
from .flows import MAX_CODE_LENGTH
from .flows.events import Origin
from .methods import Method, backup_method, get_method, primary_methods
from .methods.base import Site

# A ceremony's answer larger than this (in characters) is refused unread; a
# security key's is a few kB.
MAX_CREDENTIAL_LENGTH = 64 * 1024


def flow_validation_error(error: FlowError) -> ValidationError:
    """The form error for a flow's refusal: same code, and the wait when throttled."""
    if error.code == "too_many_attempts" and error.retry_after:
        message = ngettext_lazy(
            "Too many wrong codes. Wait %(seconds)d second before trying again.",
            "Too many wrong codes. Wait %(seconds)d seconds before trying again.",
            "seconds",
        )
        return ValidationError(message, code=error.code, params={"seconds": error.retry_after})
    return ValidationError(error.detail, code=error.code)


class LoginForm(forms.Form):
    """Page 1: username and password, checked by ``django.contrib.auth.authenticate``.

    Unknown users, inactive users and wrong passwords all get the same
    ``invalid_credentials`` error.
    """

    username = forms.CharField(
        max_length=254,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {"invalid_credentials": CATALOGUE["invalid_credentials"].detail}

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: AbstractBaseUser | None = None
        super().__init__(*args, **kwargs)
        model = get_user_model()
        username_field = model._meta.get_field(model.USERNAME_FIELD)
        self.fields["username"].label = capfirst(username_field.verbose_name)
        self.fields["username"].max_length = username_field.max_length or 254
        self.fields["username"].widget.attrs["maxlength"] = self.fields["username"].max_length

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        username = cleaned.get("username")
        password = cleaned.get("password")
        if username is not None and password:
            user = authenticate(self.request, username=username, password=password)
            try:
                self.user_cache = flows.check_login_allowed(user)
            except FlowError:
                self.user_cache = None
            if self.user_cache is None or not self.login_allowed(self.user_cache):
                self.user_cache = None
                raise ValidationError(
                    self.error_messages["invalid_credentials"], code="invalid_credentials"
                )
        return cleaned

    def login_allowed(self, user: AbstractBaseUser) -> bool:
        """A page-only hook beside the adapter's ``login_allowed`` (which the API asks
        too, and this form already did): override to refuse more on the pages."""
        return True

    def get_user(self) -> AbstractBaseUser:
        assert self.user_cache is not None
        return self.user_cache


class CodeInput(forms.TextInput):
    """A text input that never echoes what was typed: a refused code is not shown
    again (nor kept in the page), and the field is empty for the next try."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


def either_of(methods: list[Method]) -> str:
    """The methods' codes as one sentence: "A code from your app or one we e-mailed to you."."""
    phrases = [str(method.code_phrase or method.label) for method in methods]
    return capfirst(get_text_list(phrases, _("or"))) + "." if phrases else ""


class CodeForm(forms.Form):
    """A form with a ``code`` field that one flow checks (see :meth:`verify`).

    ``recovery=True`` shows a text field for a recovery code; either way any
    kind of code is accepted.
    """

    code = forms.CharField(
        label=_("Code"), max_length=MAX_CODE_LENGTH, strip=True, widget=CodeInput
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser | None = None,
        origin: Origin | None = None,
        recovery: bool = False,
        methods: list[str] | None = None,
        verified_at: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # When this session last passed a second factor (step-up for changes).
        self.verified_at = verified_at
        self.origin = origin
        self.recovery = recovery
        self.flow_error: FlowError | None = None
        self.result: Any = None
        field = self.fields["code"]
        attrs: dict[str, Any] = {
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "autocorrect": "off",
            "spellcheck": "false",
            "autofocus": True,
            "class": "twostep-code",
        }
        backup = backup_method()
        if recovery and backup is not None:
            field.label = capfirst(backup.label)
            field.help_text = backup.code_help_text or ""
            attrs["inputmode"] = "text"
        else:
            field.help_text = self.help_text_for(methods or [])
            attrs["inputmode"] = "numeric"
        field.widget.attrs.update(attrs)

    @staticmethod
    def code_methods_of(methods: list[str]) -> list[Method]:
        """The methods of ``methods`` whose codes go in the field (the first primary
        method of ``TWOSTEP_METHODS`` when there are none: a set-up page's field)."""
        found = [m for m in map(get_method, methods) if m and m.kind == "code" and not m.backup]
        return found or [m for m in primary_methods() if m.kind == "code"][:1]

    def help_text_for(self, methods: list[str]) -> str | Promise:
        """The code field's help for a user with ``methods``: the method's own help, or
        for several, "A code from your authenticator app or one we e-mailed to you."."""
        found = self.code_methods_of(methods)
        if len(found) == 1:
            return found[0].code_help_text or capfirst(found[0].label)
        return either_of(found)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        code = cleaned.get("code")
        if code and not self.errors:
            try:
                self.result = self.verify(code)
            except FlowError as error:
                self.flow_error = error
                self.add_error("code", flow_validation_error(error))
        return cleaned

    def verify(self, code: str) -> Any:
        """Run the flow for ``code``; raise :class:`FlowError` to refuse it."""
        raise NotImplementedError

    @property
    def chosen_method(self) -> str | None:
        """The method the person said they were using: the backup's (recovery codes)
        on the recovery field, else None (the code's shape tells). It names the
        method of a wrong code in the activity list; any code is accepted either way."""
        backup = backup_method()
        return backup.name if self.recovery and backup is not None else None

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait when the user is throttled, else None."""
        error = self.flow_error
        return error.retry_after if error and error.code == "too_many_attempts" else None


def read_credential(raw: str) -> Any:
    """The browser's JSON answer to a ceremony (``PublicKeyCredential.toJSON()``), parsed;
    what cannot be read is handed on as is, for the flow to refuse."""
    if len(raw) > MAX_CREDENTIAL_LENGTH:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class CeremonyCodeForm(CodeForm):
    """A code form that takes a ceremony's answer instead (a security key): the
    hidden ``credential`` (the browser's JSON) and ``method`` (the ceremony method's
    name) fields, filled in by the page's script. Without them it is a code form
    as before.

    A refused answer is a form-wide error (the key's button is not the code field).
    """

    method = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    credential = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, site: Site | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        if self.answers_ceremony:
            self.fields["code"].required = False

    @property
    def answers_ceremony(self) -> bool:
        return self.is_bound and bool(self.data.get("credential"))

    def clean(self) -> dict[str, Any]:
        if not self.answers_ceremony:
            return super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            method = get_method(cleaned.get("method") or "")
            if method is None or method.kind != "ceremony":
                raise FlowError("validation_error", parameter="method")
            response = read_credential(cleaned.get("credential") or "")
            self.result = self.verify_ceremony(method, response)
        except FlowError as error:
            self.flow_error = error
            self.add_error(None, flow_validation_error(error))
        return cleaned

    def verify_ceremony(self, method: Method, response: Any) -> Any:
        """Run the flow for a ceremony's answer; raise :class:`FlowError` to refuse it."""
        raise NotImplementedError


class LoginCodeForm(CeremonyCodeForm):
    """Page 2: a code (TOTP or recovery) or a security key's answer completes the
    pending login; ``remember`` trusts the browser."""

    remember = forms.BooleanField(required=False)

    def __init__(self, *args: Any, challenge_id: str, remember_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.challenge_id = challenge_id
        if remember_days > 0:
            # Built per request, in its language: no lazy string needed.
            self.fields["remember"].label = ngettext(
                "Trust this browser for %(days)d day",
                "Trust this browser for %(days)d days",
                remember_days,
            ) % {"days": remember_days}
            self.fields["remember"].help_text = _(
                "You will not be asked for a code when you log in with this browser."
            )
        else:
            del self.fields["remember"]

    def verify(self, code: str) -> flows.LoginResult:
        return flows.verify_login_code(
            self.challenge_id, code, chosen=self.chosen_method, origin=self.origin
        )

    def verify_ceremony(self, method: Method, response: Any) -> flows.LoginResult:
        return flows.verify_login_code(
            self.challenge_id,
            method=method.name,
            response=response,
            site=self.site,
            origin=self.origin,
        )


class StepUpForm(CeremonyCodeForm):
    """Step-up: any current code of the user's methods, a recovery code, or a security
    key's answer."""

    def verify(self, code: str) -> flows.Verification:
        assert self.user is not None
        return flows.verify_second_factor(
            self.user, code, chosen=self.chosen_method, origin=self.origin
        )

    def verify_ceremony(self, method: Method, response: Any) -> flows.Verification:
        assert self.user is not None
        return flows.verify_step_up(
            self.user, method=method.name, response=response, site=self.site, origin=self.origin
        )
