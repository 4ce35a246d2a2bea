"""Every ``TWOSTEP_*`` setting, its default and what it is for.

Settings are read live from ``django.conf.settings`` on each access, so
``override_settings`` works in tests and nothing is cached at import time.
Read them only through :data:`twostep_settings`::

    from django_twostep.conf import twostep_settings
    twostep_settings.CHALLENGE_TTL
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from django.conf import settings as django_settings

T = TypeVar("T")


class Setting(Generic[T]):
    """A ``TWOSTEP_<NAME>`` setting with a default and one line of documentation."""

    def __init__(self, default: T, doc: str) -> None:
        self.default = default
        self.doc = doc
        self.name = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.name = f"TWOSTEP_{attr}"

    @overload
    def __get__(self, obj: None, owner: type) -> Setting[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> Any:
        if obj is None:
            return self
        return getattr(django_settings, self.name, self.default)


class TwoStepSettings:
    """Every setting as an attribute, read live: ``twostep_settings.ISSUER`` is
    ``TWOSTEP_ISSUER`` or its default. The settings page's table is made from them."""

    ISSUER: Setting[str] = Setting(
        "Django", "Issuer name shown in authenticator apps and in the otpauth URI."
    )
    ENCRYPTION_KEYS: Setting[list[str] | None] = Setting(
        None,
        "Key material for secrets at rest; the first key encrypts, all decrypt. "
        "Default: derived from SECRET_KEY and SECRET_KEY_FALLBACKS.",
    )
    TOTP_DIGITS: Setting[int] = Setting(6, "Digits of a TOTP code (6 or 8).")
    TOTP_PERIOD: Setting[int] = Setting(30, "Seconds per TOTP time step.")
    TOTP_TOLERANCE: Setting[int] = Setting(
        1, "Time steps accepted either side of the current one (clock skew)."
    )
    RECOVERY_CODE_COUNT: Setting[int] = Setting(10, "Recovery codes in a freshly generated set.")
    THROTTLE_FACTOR: Setting[float] = Setting(
        1,
        "Back-off base in seconds: after n consecutive wrong codes a user waits "
        "factor * 2^(n-1) s before the next check. 0 turns the back-off off.",
    )
    CHALLENGE_TTL: Setting[int] = Setting(
        300, "Seconds a pending login (page 2 / two_factor_id) stays valid."
    )
    CHALLENGE_MAX_ATTEMPTS: Setting[int] = Setting(
        5, "Wrong codes a pending login allows before it is burned."
    )
    STEP_UP_GRACE: Setting[int] = Setting(
        1800, "Seconds after a verification during which step-up asks for no new code."
    )
    REMEMBER_DAYS: Setting[int] = Setting(
        30, 'Days "trust this browser" lasts; 0 removes the option.'
    )
    REQUIRED: Setting[str | None] = Setting(
        None,
        'Who must enrol: None, "staff", "superuser" or a dotted path to callable(user) -> bool.',
    )
    API_CHALLENGE_STATUS: Setting[int] = Setting(
        401, "HTTP status of the API's two_factor_required answer (242 works too)."
    )
    API_SEND_USER_LOGGED_IN: Setting[bool] = Setting(
        True,
        "Send django.contrib.auth's user_logged_in (which updates last_login) when an "
        "API login issues tokens; False sends nothing.",
    )
    ACCESS_TOKEN_TTL: Setting[int] = Setting(3600, "Seconds an API access token lives.")
    REFRESH_TOKEN_TTL: Setting[int] = Setting(14 * 24 * 3600, "Seconds an API refresh token lives.")
    EMAIL_CODE_TTL: Setting[int] = Setting(600, "Seconds an e-mailed code stays valid.")
    EMAIL_CODE_DIGITS: Setting[int] = Setting(6, "Digits of an e-mailed code.")
    EMAIL_RESEND_INTERVAL: Setting[int] = Setting(
        30, "Minimum seconds between two e-mailed codes to one user."
    )
    EMAIL_MAX_PER_HOUR: Setting[int] = Setting(5, "E-mailed codes one user can receive per hour.")
    EMAIL_CODE_MAX_ATTEMPTS: Setting[int] = Setting(
        5, "Wrong codes an e-mailed code survives before it stops working."
    )
    WEBAUTHN_RP_ID: Setting[str | None] = Setting(
        None,
        "Security keys: the relying party id (a domain). Default: the request's host "
        "without its port.",
    )
    WEBAUTHN_RP_NAME: Setting[str | None] = Setting(
        None, "Security keys: the site's name the browser shows. Default: TWOSTEP_ISSUER."
    )
    WEBAUTHN_ORIGINS: Setting[list[str] | None] = Setting(
        None,
        'Security keys: the origins ("https://example.com") a ceremony may come from. '
        "Default: the request's own scheme and host.",
    )
    WEBAUTHN_USER_VERIFICATION: Setting[str] = Setting(
        "preferred",
        'Security keys as a second factor: "required", "preferred" or "discouraged" '
        "(passkey login always requires it).",
    )
    PASSKEY_LOGIN: Setting[bool] = Setting(
        True, "Log in with a passkey alone (it counts as two factors); False turns it off."
    )
    METHODS: Setting[list[str]] = Setting(
        [
            "django_twostep.methods.totp.TOTPMethod",
            "django_twostep.methods.email.EmailMethod",
            "django_twostep.methods.webauthn.WebAuthnMethod",
            "django_twostep.methods.recovery_codes.RecoveryCodesMethod",
        ],
        "Dotted paths of the method classes (docs/methods.md), in the order pages offer them.",
    )
    ADAPTER: Setting[str] = Setting(
        "django_twostep.adapter.DefaultAdapter",
        "Dotted path of the adapter class: code delivery (e-mail, SMS...) and messages.",
    )

    @classmethod
    def all(cls) -> list[Setting[Any]]:
        """Every setting, in declaration order (used by the docs and system checks)."""
        return [v for v in vars(cls).values() if isinstance(v, Setting)]


twostep_settings = TwoStepSettings()
"""The one instance to read settings through."""
