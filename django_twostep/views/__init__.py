"""The shared pages: thin glue between requests and :mod:`django_twostep.flows`.

- :mod:`.login`: page 1, page 2, logout.
- :mod:`.step_up`: ``twostep:verify``.
- :mod:`.account`: the settings page, trusted browsers, removing a method.
- :mod:`.base`, :mod:`.offers`: what they share.

Each method's own pages are in its package (``django_twostep.methods.totp.views``,
...). Every page is CSRF-protected, hides ``password`` and ``code`` from error
reports and sends ``Cache-Control: no-store``. Customise with class attributes
(``template_name``, ``form_class``) and the ``get_*`` hooks, or override the
templates (docs/pages.md).
"""

from .account import (
    EVENT_LABELS,
    TRUSTED_BROWSER_LABEL,
    ForgetTrustedBrowsersView,
    MethodRemoveView,
    SettingsView,
    method_label,
)
from .base import busy_response
from .login import LoginCodeView, LoginView, LogoutView
from .step_up import VerifyView

__all__ = [
    "EVENT_LABELS",
    "TRUSTED_BROWSER_LABEL",
    "ForgetTrustedBrowsersView",
    "LoginCodeView",
    "LoginView",
    "LogoutView",
    "MethodRemoveView",
    "SettingsView",
    "VerifyView",
    "busy_response",
    "method_label",
]
