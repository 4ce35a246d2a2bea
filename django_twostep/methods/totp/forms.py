"""Forms of the authenticator-app pages."""

from __future__ import annotations

from django.utils.functional import Promise

from ...flows.changes import Activation
from ...forms import CodeForm, either_of
from ...methods import backup_method
from . import flows


class ActivateTOTPForm(CodeForm):
    """The first code from the app activates the pending TOTP device."""

    def help_text_for(self, methods: list[str]) -> str | Promise:
        return self.code_methods_of([flows.METHOD])[0].code_help_text or ""

    def verify(self, code: str) -> Activation:
        assert self.user is not None
        return flows.activate_totp(
            self.user, code, verified_at=self.verified_at, origin=self.origin
        )


class DisableTOTPForm(CodeForm):
    """A current code of any active method, or a recovery code, turns the
    authenticator app off."""

    def help_text_for(self, methods: list[str]) -> str | Promise:
        backup = backup_method()
        return either_of(self.code_methods_of(methods) + ([backup] if backup else []))

    def verify(self, code: str) -> bool:
        assert self.user is not None
        flows.disable_totp(self.user, code, chosen=self.chosen_method, origin=self.origin)
        return True
