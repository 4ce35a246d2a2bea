"""``TWOSTEP_METHODS``: the method classes, in the order the pages offer them.

::

    TWOSTEP_METHODS = [
        "django_twostep.methods.totp.TOTPMethod",
        "django_twostep.methods.email.EmailMethod",
        "django_twostep.methods.recovery_codes.RecoveryCodesMethod",
        "mysite.twostep.SMSMethod",  # a site's own
    ]

Read live, so ``override_settings(TWOSTEP_METHODS=...)`` works in tests; the
classes are imported once per distinct list.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django_otp.models import Device

from ..conf import TwoStepSettings, twostep_settings
from .base import Method


@functools.lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> tuple[Method, ...]:
    try:
        methods = tuple(import_string(path)() for path in paths)
    except (ImportError, TypeError) as error:
        raise ImproperlyConfigured(f"TWOSTEP_METHODS: {error}") from error
    names = [method.name for method in methods]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured(f"TWOSTEP_METHODS names a method twice: {names}")
    return methods


def all_methods() -> tuple[Method, ...]:
    """Every configured method, recovery codes included, in page order."""
    return _load(tuple(twostep_settings.METHODS))


def routed_methods() -> tuple[Method, ...]:
    """The methods whose URLs are included (``django_twostep.urls``, ``.api.urls``):
    the configured ones, then the built-in ones not configured.

    URLconfs are built once, when first imported; including the built-in
    methods always makes them the same whatever ``TWOSTEP_METHODS`` said at
    that moment (a test's ``override_settings``, say). A method's own views
    answer 404 while it is not configured.
    """
    configured = all_methods()
    names = {method.name for method in configured}
    defaults = _load(tuple(TwoStepSettings.METHODS.default))
    return configured + tuple(method for method in defaults if method.name not in names)


def primary_methods() -> tuple[Method, ...]:
    """The methods that turn two-step login on (all but the backup, recovery codes)."""
    return tuple(method for method in all_methods() if not method.backup)


def code_methods() -> tuple[Method, ...]:
    """The methods whose codes a code field takes, in the order they are tried."""
    return tuple(method for method in all_methods() if method.kind == "code")


def sending_methods() -> tuple[Method, ...]:
    """The methods whose codes the server delivers (e-mail, SMS), in page order."""
    return tuple(method for method in all_methods() if method.sends_codes)


def method_names() -> list[str]:
    return [method.name for method in all_methods()]


def get_method(name: str) -> Method | None:
    """The configured method called ``name``, or None."""
    return next((method for method in all_methods() if method.name == name), None)


def method_of_device(device: Device) -> Method | None:
    """The configured method whose device ``device`` is."""
    return next((m for m in all_methods() if isinstance(device, m.device_model)), None)


def backup_method() -> Method | None:
    """The method that backs the others up (recovery codes), if one is configured."""
    return next((method for method in all_methods() if method.backup), None)
