"""Forms of the recovery-codes page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RegenerateRecoveryCodesForm(forms.Form):
    """Confirmation that the old recovery codes may stop working."""

    confirm = forms.BooleanField(
        label=_("I understand that my current recovery codes will stop working."),
        required=True,
    )
