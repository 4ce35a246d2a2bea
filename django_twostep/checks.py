"""System checks: refuse incoherent configuration at start-up, not at login time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from .conf import twostep_settings

MIN_KEY_LENGTH = 32
_POSITIVE_INTS = (
    "TOTP_PERIOD",
    "RECOVERY_CODE_COUNT",
    "CHALLENGE_TTL",
    "CHALLENGE_MAX_ATTEMPTS",
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "EMAIL_CODE_TTL",
    "EMAIL_MAX_PER_HOUR",
    "EMAIL_CODE_MAX_ATTEMPTS",
)
_NON_NEGATIVE_INTS = ("TOTP_TOLERANCE", "STEP_UP_GRACE", "REMEMBER_DAYS", "EMAIL_RESEND_INTERVAL")
_BOOLEANS = ("API_SEND_USER_LOGGED_IN",)


@register(Tags.security, Tags.compatibility)
def check_installation(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[Error]:
    errors = []
    for app, hint in (
        ("django.contrib.auth", None),
        ("django.contrib.sessions", "The login pages keep the pending login in the session."),
        ("django_otp", 'Add "django_otp" to INSTALLED_APPS before "django_twostep".'),
    ):
        if not apps.is_installed(app):
            errors.append(
                Error(f"{app} must be in INSTALLED_APPS.", hint=hint, id="django_twostep.E001")
            )
    errors.extend(_check_middleware())
    return errors


def _middleware_index(base: str) -> int | None:
    base_class = import_string(base)
    for index, path in enumerate(settings.MIDDLEWARE):
        try:
            candidate = import_string(path)
        except ImportError:
            continue
        if isinstance(candidate, type) and issubclass(candidate, base_class):
            return index
    return None


def _check_middleware() -> list[Error]:
    """``user.is_verified()`` must exist: TwoStepMiddleware (or django-otp's
    OTPMiddleware) installs it, after AuthenticationMiddleware."""
    auth = _middleware_index("django.contrib.auth.middleware.AuthenticationMiddleware")
    found = [
        index
        for index in (
            _middleware_index("django_twostep.middleware.TwoStepMiddleware"),
            _middleware_index("django_otp.middleware.OTPMiddleware"),
        )
        if index is not None
    ]
    if not found:
        return [
            Error(
                "django_twostep.middleware.TwoStepMiddleware is not in MIDDLEWARE.",
                hint="Add it right after AuthenticationMiddleware.",
                id="django_twostep.E002",
            )
        ]
    if auth is None or min(found) < auth:
        return [
            Error(
                "TwoStepMiddleware (and OTPMiddleware, if you keep it) must come after "
                "AuthenticationMiddleware in MIDDLEWARE.",
                id="django_twostep.E003",
            )
        ]
    return []


@register(Tags.security)
def check_settings(app_configs: Iterable[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    errors = _check_keys()
    issuer = twostep_settings.ISSUER
    if not isinstance(issuer, str) or not issuer.strip() or ":" in issuer:
        errors.append(
            Error(
                "TWOSTEP_ISSUER must be a non-empty string without ':'.",
                hint="Authenticator apps split the label at ':'.",
                id="django_twostep.E005",
            )
        )
    for name in _POSITIVE_INTS + _NON_NEGATIVE_INTS:
        value = getattr(twostep_settings, name)
        minimum = 1 if name in _POSITIVE_INTS else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            errors.append(
                Error(
                    f"TWOSTEP_{name} must be an integer of at least {minimum}.",
                    id="django_twostep.E006",
                )
            )
    factor = twostep_settings.THROTTLE_FACTOR
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
        errors.append(
            Error("TWOSTEP_THROTTLE_FACTOR must be a number >= 0.", id="django_twostep.E006")
        )
    if twostep_settings.TOTP_DIGITS not in (6, 8):
        errors.append(Error("TWOSTEP_TOTP_DIGITS must be 6 or 8.", id="django_twostep.E006"))
    status = twostep_settings.API_CHALLENGE_STATUS
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        errors.append(
            Error(
                "TWOSTEP_API_CHALLENGE_STATUS must be an HTTP status code (200-599).",
                id="django_twostep.E006",
            )
        )
    for name in _BOOLEANS:
        if not isinstance(getattr(twostep_settings, name), bool):
            errors.append(Error(f"TWOSTEP_{name} must be True or False.", id="django_twostep.E006"))
    errors.extend(_check_required())
    errors.extend(_check_methods())
    return errors


def _check_keys() -> list[Error]:
    keys = twostep_settings.ENCRYPTION_KEYS
    if keys is None:
        return []
    hint = (
        f"Give a list of strings of at least {MIN_KEY_LENGTH} characters, newest first, "
        'e.g. from python -c "import secrets; print(secrets.token_urlsafe(48))".'
    )
    if isinstance(keys, str) or not isinstance(keys, list | tuple) or not keys:
        return [
            Error(
                "TWOSTEP_ENCRYPTION_KEYS must be a non-empty list.",
                hint=hint,
                id="django_twostep.E004",
            )
        ]
    if not all(isinstance(key, str) and len(key) >= MIN_KEY_LENGTH for key in keys):
        return [
            Error(
                "Every key in TWOSTEP_ENCRYPTION_KEYS must be a string of at least "
                f"{MIN_KEY_LENGTH} characters.",
                hint=hint,
                id="django_twostep.E004",
            )
        ]
    if len(set(keys)) != len(keys):
        return [Error("TWOSTEP_ENCRYPTION_KEYS repeats a key.", id="django_twostep.E004")]
    return []


def _check_required() -> list[Error]:
    required = twostep_settings.REQUIRED
    if required in (None, "staff", "superuser"):
        return []
    if isinstance(required, str) and "." in required:
        try:
            target = import_string(required)
        except ImportError:
            pass
        else:
            if callable(target):
                return []
    return [
        Error(
            'TWOSTEP_REQUIRED must be None, "staff", "superuser" or a dotted path to '
            "callable(user) -> bool.",
            id="django_twostep.E007",
        )
    ]


# URL-safe, and short enough for SecurityEvent.method (20 characters).
_METHOD_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")


def _check_methods() -> list[Error]:
    """``TWOSTEP_METHODS``: importable :class:`~django_twostep.methods.Method` classes,
    each name once and usable in a URL, at least one method that turns two-step
    login on, and at most one backup."""
    from .methods import Method

    paths = twostep_settings.METHODS
    if isinstance(paths, str) or not isinstance(paths, list | tuple):
        return [_methods_error("TWOSTEP_METHODS must be a list of dotted paths.")]
    methods = []
    for path in paths:
        try:
            method = import_string(path) if isinstance(path, str) else None
        except ImportError:
            method = None
        if not (isinstance(method, type) and issubclass(method, Method)):
            return [_methods_error(f"TWOSTEP_METHODS: {path!r} is not a Method class.")]
        methods.append(method)
    names = [getattr(method, "name", None) for method in methods]
    if not all(isinstance(name, str) and _METHOD_NAME.fullmatch(name) for name in names):
        return [
            _methods_error(
                "Every method needs a name of lower-case letters, digits and _ (20 at most)."
            )
        ]
    if len(set(names)) != len(names):
        return [_methods_error(f"TWOSTEP_METHODS names a method twice: {names}.")]
    if not any(not method.backup for method in methods):
        return [_methods_error("TWOSTEP_METHODS has no method that turns two-step login on.")]
    if sum(method.backup for method in methods) > 1:
        return [_methods_error("TWOSTEP_METHODS has more than one backup method.")]
    return []


def _methods_error(message: str) -> Error:
    return Error(
        message,
        hint="List the method classes in page order (docs/methods.md).",
        id="django_twostep.E008",
    )
