"""Forms of the e-mail method's pages."""

from __future__ import annotations

from django.utils.functional import Promise

from ...flows.changes import Activation
from ...forms import CodeForm
from . import flows


class ConfirmEmailForm(CodeForm):
    """The code e-mailed at set-up confirms the address and turns the e-mail method on."""

    def help_text_for(self, methods: list[str]) -> str | Promise:
        return self.code_methods_of([flows.METHOD])[0].code_help_text or ""

    def verify(self, code: str) -> Activation:
        assert self.user is not None
        return flows.confirm_email_setup(
            self.user, code, verified_at=self.verified_at, origin=self.origin
        )
