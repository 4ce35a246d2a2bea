"""Models: the TOTP device, recovery codes and the per-user back-off record.

Devices subclass django-otp's :class:`~django_otp.models.Device`, so
``django_otp.login``, ``user.is_verified()``, ``devices_for_user`` and the rest
of the django-otp ecosystem see them. Secrets are stored encrypted
(``django_twostep.crypto``); recovery codes only as keyed digests.
"""

from __future__ import annotations

import base64
import hmac
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin, VerifyNotAllowed

from . import clock, crypto
from .prepared import PreparedUpdate

TOTP_SECRET_PURPOSE = "totp-secret"
RECOVERY_CODE_PURPOSE = "recovery-code"
EMAIL_CODE_PURPOSE = "email-code"

# Longest back-off exponent: 2^30 s is 34 years, and bigger numbers would
# overflow datetime arithmetic.
_MAX_BACKOFF_EXPONENT = 30


# -- django-otp's verify_token, checked by the flows ---------------------------------------

TokenVerifier = Callable[[Device, Any], bool]

_token_verifier: TokenVerifier | None = None


def set_token_verifier(verifier: TokenVerifier | None) -> None:
    """Register the function that checks a code for our devices' ``verify_token``.

    django-otp calls ``device.verify_token(token)``; the answer must come from
    the same checked path as our own logins (the method still configured, the
    per-user back-off, single use, security events), which lives in
    :mod:`django_twostep.flows`. The flows import these models, so the models
    must never import the flows (the layering contracts in ``pyproject.toml``
    check it): the check is handed down instead.
    ``TwoStepConfig.ready()`` (``django_twostep.apps``) registers
    :func:`django_twostep.flows.codes.verify_device_code`. ``None`` unregisters.
    """
    global _token_verifier
    _token_verifier = verifier


def _verify_token(device: Device, token: Any) -> bool:
    """``verify_token`` of every device here: the registered check, or False without one
    (the app not ready: no code is accepted unchecked)."""
    verifier = _token_verifier
    if verifier is None:
        return False
    return bool(verifier(device, token))


def _consume_step_query(
    shape: tuple[type[models.Model], bool], pk: int, counter: int, drift: int, now: datetime
) -> tuple[QuerySet[Any], dict[str, Any]]:
    """Use step ``counter`` of device ``pk`` if no later one was used (TOTPDevice)."""
    model, confirm = shape
    changes: dict[str, Any] = {"last_t": counter, "drift": drift, "last_used_at": now}
    if confirm:
        changes["confirmed"] = True
    return model.objects.filter(pk=pk, last_t__lt=counter), changes


class DeviceFields(models.Model):
    """django-otp's device fields, as they were, with names and help the admin can
    translate (the app's own fields have them too).

    Listed before django-otp's classes in a device's bases: the first abstract
    base that declares a field gives it. (Linters that do not see ``__str__``
    through ``Device`` are told so where it is inherited.)
    """

    name = models.CharField(
        _("name"), max_length=64, help_text=_("The human-readable name of this device.")
    )
    confirmed = models.BooleanField(
        _("confirmed"), default=True, help_text=_("Is this device ready for use?")
    )
    created_at = models.DateTimeField(
        _("created"),
        null=True,
        blank=True,
        auto_now_add=True,
        help_text=_("The date and time when this device was initially created in the system."),
    )
    last_used_at = models.DateTimeField(
        _("last used"),
        null=True,
        blank=True,
        help_text=_("The most recent date and time this device was used."),
    )

    class Meta:
        abstract = True


class TOTPDevice(DeviceFields, TimestampMixin, Device):  # noqa: DJ008 (Device has __str__)
    """An authenticator app (RFC 6238 TOTP).

    ``confirmed`` is False while the device is pending (secret shown, first
    code not yet entered). ``last_t`` is the last accepted time step: a step is
    accepted at most once, enforced by :meth:`consume_step` with one
    conditional ``UPDATE``. ``drift`` is the phone's clock offset in steps,
    learned at activation and followed on each use.
    """

    # An explicit related_name: django-otp's own TOTPDevice (otp_totp) claims
    # User.totpdevice_set, and both must be installed side by side to import.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_totp_devices",
        verbose_name=_("user"),
        help_text=_("The user that this device belongs to."),
    )
    encrypted_key = models.TextField(
        _("secret (encrypted)"), help_text=_("The secret, encrypted (never shown here).")
    )
    step = models.PositiveSmallIntegerField(_("period (seconds)"), default=30)
    t0 = models.BigIntegerField(_("start of the first time step (Unix time)"), default=0)
    digits = models.PositiveSmallIntegerField(_("digits"), default=6)
    tolerance = models.PositiveSmallIntegerField(_("tolerance (time steps)"), default=1)
    drift = models.SmallIntegerField(_("clock drift (time steps)"), default=0)
    last_t = models.BigIntegerField(_("last time step used"), default=-1)

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(confirmed=True), name="twostep_one_active_totp"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(confirmed=False), name="twostep_one_pending_totp"
            ),
        ]

    # -- the secret ---------------------------------------------------------

    def set_key(self, key: bytes) -> None:
        """Store ``key`` (raw bytes) encrypted under the newest key."""
        self.encrypted_key = crypto.encrypt(key, purpose=TOTP_SECRET_PURPOSE)
        self.__dict__.pop("bin_key", None)

    @cached_property
    def bin_key(self) -> bytes:
        """The raw secret (decrypted on first use, then kept on the instance)."""
        return crypto.decrypt(self.encrypted_key, purpose=TOTP_SECRET_PURPOSE)

    @property
    def base32_key(self) -> str:
        """The secret as authenticator apps want it typed: base32, no padding."""
        return base64.b32encode(self.bin_key).decode().rstrip("=")

    # -- codes --------------------------------------------------------------

    def current_step(self, at: float | None = None) -> int:
        """The time step (counter) at ``at`` seconds since the epoch, without drift."""
        at = clock.time() if at is None else at
        return math.floor((at - self.t0) / self.step)

    def code_at_step(self, counter: int) -> str:
        return pyotp.HOTP(self.base32_key, digits=self.digits).at(counter)

    def match(
        self, code: str, *, at: float | None = None, tolerance: int | None = None
    ) -> int | None:
        """The unused time step ``code`` belongs to, or None.

        ``code`` must already be normalised (digits only). Steps within
        ``tolerance`` of now plus the learned drift are tried, nearest first;
        steps at or before ``last_t`` are never matched. This reads only;
        :meth:`consume_step` is what makes a step used.
        """
        for counter in self._steps_near(code, at, tolerance):
            if counter > self.last_t and hmac.compare_digest(self.code_at_step(counter), code):
                return counter
        return None

    def used_step(
        self, code: str, *, at: float | None = None, tolerance: int | None = None
    ) -> int | None:
        """The used time step ``code`` belongs to, or None: a code typed again.

        The steps :meth:`match` would try that are no longer usable (at or
        before ``last_t``: the step was accepted, or a later one was) are
        compared. Only a code the app really showed for one of them answers;
        a wrong code is None here too. This reads only.
        """
        for counter in self._steps_near(code, at, tolerance):
            if counter <= self.last_t and hmac.compare_digest(self.code_at_step(counter), code):
                return counter
        return None

    def _steps_near(self, code: str, at: float | None, tolerance: int | None) -> list[int]:
        """The time steps a code typed at ``at`` may belong to, nearest first (none
        for a code of the wrong shape)."""
        if len(code) != self.digits or not code.isascii() or not code.isdigit():
            return []
        tolerance = self.tolerance if tolerance is None else tolerance
        centre = self.current_step(at) + self.drift
        steps = (centre + offset for offset in sorted(range(-tolerance, tolerance + 1), key=abs))
        return [counter for counter in steps if counter >= 0]

    def consume_step(self, counter: int, *, confirm: bool = False, at: float | None = None) -> bool:
        """Mark ``counter`` used; False if this or a later step was used already.

        One conditional ``UPDATE``, so two workers racing with the same code
        cannot both win. The drift follows the step just used.
        """
        changes: dict[str, Any] = {
            "last_t": counter,
            "drift": counter - self.current_step(at),
            "last_used_at": clock.now(),
        }
        if confirm:
            changes["confirmed"] = True
        step = (self.pk, counter, changes["drift"], changes["last_used_at"])
        won = _consume_step.run((type(self), confirm), *step) == 1
        if won:
            for field, value in changes.items():
                setattr(self, field, value)
        return won

    # -- django-otp's Device contract ---------------------------------------

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """django-otp's question, answered with the user's back-off: ``(False, {"reason":
        N_FAILED_ATTEMPTS, "retry_after": seconds})`` while it runs."""
        wait = UserThrottle.seconds_left_for(self.user_id)
        if wait:
            return False, {"reason": VerifyNotAllowed.N_FAILED_ATTEMPTS, "retry_after": wait}
        return super().verify_is_allowed()

    def verify_token(self, token: Any) -> bool:
        """django-otp's entry point; runs the same checked path as our flows."""
        return _verify_token(self, token)


class EmailDevice(DeviceFields, TimestampMixin, Device):  # noqa: DJ008 (Device has __str__)
    """Codes e-mailed to the user's address.

    ``confirmed`` once the address proved itself with a first code. At most
    one code is live at a time (a new one voids the old): its keyed digest,
    expiry and remaining wrong tries live on the device, and it is used up by
    one conditional ``UPDATE``.
    """

    # Explicit, like TOTPDevice's: django-otp's otp_email claims User.emaildevice_set.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_email_devices",
        verbose_name=_("user"),
        help_text=_("The user that this device belongs to."),
    )
    email = models.EmailField(_("e-mail address"))
    code_digest = models.CharField(_("code (digest)"), max_length=64, blank=True)
    code_expires_at = models.DateTimeField(_("code expires"), null=True, blank=True)
    code_attempts_left = models.PositiveSmallIntegerField(_("tries left for the code"), default=0)

    class Meta(Device.Meta):
        verbose_name = _("e-mail device")
        verbose_name_plural = _("e-mail devices")
        constraints = [models.UniqueConstraint(fields=["user"], name="twostep_one_email_device")]

    def code_candidates(self, code: str) -> list[str]:
        return crypto.digests(f"{self.pk}:{code}", purpose=EMAIL_CODE_PURPOSE)

    def has_live_code(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        return bool(
            self.code_digest
            and self.code_attempts_left > 0
            and self.code_expires_at is not None
            and self.code_expires_at > now
        )

    def consume_code(self, code: str, *, confirm: bool = False) -> bool:
        """Use up the live code if ``code`` (normalised) is it; else spend one try.

        One conditional ``UPDATE`` each way, so a code raced by two workers
        works once and the tries cannot be raced past their limit.
        """
        now = clock.now()
        live = (
            type(self)
            .objects.filter(pk=self.pk, code_expires_at__gt=now, code_attempts_left__gt=0)
            .exclude(code_digest="")
        )
        changes: dict[str, Any] = {"code_digest": "", "code_attempts_left": 0, "last_used_at": now}
        if confirm:
            changes["confirmed"] = True
        if live.filter(code_digest__in=self.code_candidates(code)).update(**changes) == 1:
            for field, value in changes.items():
                setattr(self, field, value)
            return True
        live.update(code_attempts_left=models.F("code_attempts_left") - 1)
        return False

    def verify_token(self, token: Any) -> bool:
        """django-otp's entry point; runs the same checked path as our flows."""
        return _verify_token(self, token)


class WebAuthnCredential(DeviceFields, TimestampMixin, Device):  # noqa: DJ008 (Device has __str__)
    """A security key, platform authenticator or passkey (WebAuthn), one row each.

    Holds only public material: the credential id, the COSE public key, the
    signature counter and what the authenticator said of itself. A dump of this
    table logs nobody in. ``name`` (the user's own) and ``confirmed`` come from
    django-otp's Device (a credential is confirmed once registered);
    ``created_at`` and ``last_used_at`` from its TimestampMixin.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_webauthn_credentials",
        verbose_name=_("user"),
        help_text=_("The user that this device belongs to."),
    )
    # base64url without padding, as the browser and the JSON API carry it.
    credential_id = models.CharField(_("credential ID"), max_length=1400, unique=True)
    public_key = models.BinaryField(
        _("public key"), help_text=_("The COSE public key (public material).")
    )
    sign_count = models.PositiveBigIntegerField(_("signature counter"), default=0)
    transports = models.JSONField(_("transports"), default=list, blank=True)
    aaguid = models.CharField(_("authenticator model (AAGUID)"), max_length=36, blank=True)
    # A discoverable credential (a passkey) logs in without a username.
    discoverable = models.BooleanField(_("passkey (discoverable)"), default=False)
    backup_eligible = models.BooleanField(_("can be backed up"), default=False)
    backed_up = models.BooleanField(_("backed up"), default=False)

    class Meta(Device.Meta):
        verbose_name = _("security key")
        verbose_name_plural = _("security keys")

    def verify_token(self, token: Any) -> bool:
        """django-otp's entry point; a security key takes no typed token."""
        return _verify_token(self, token)


class WebAuthnChallenge(models.Model):
    """One WebAuthn ceremony's challenge: single use, short-lived, bound to its purpose.

    Only a keyed digest of the challenge is kept (the browser echoes the
    challenge in ``clientDataJSON``, which finds the row), with the user it was
    made for (none for a passkey login), what it is for, and for a login the
    pending login it belongs to. ``handle_digest``: the keyed digest of the id a
    client names the ceremony by (``passkey_id``), when it has one.
    """

    digest = models.CharField(_("challenge (digest)"), max_length=64, unique=True)
    handle_digest = models.CharField(
        _("ceremony ID (digest)"), max_length=64, blank=True, db_index=True
    )
    purpose = models.CharField(_("purpose"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="twostep_webauthn_challenges",
        verbose_name=_("user"),
    )
    challenge = models.ForeignKey(
        "Challenge",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pending login"),
    )
    user_verification = models.CharField(_("user verification"), max_length=12)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    consumed_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("security key challenge")
        verbose_name_plural = _("security key challenges")

    def __str__(self) -> str:
        return _("Security key challenge #%(pk)s") % {"pk": self.pk}


class EmailSend(models.Model):
    """One e-mailed code, for the per-user sending limits (pruned after a day)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_email_sends",
        verbose_name=_("user"),
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("e-mailed code")
        verbose_name_plural = _("e-mailed codes")
        indexes = [models.Index(fields=["user", "sent_at"], name="twostep_email_sends")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_at:%Y-%m-%d %H:%M:%S}"


class RecoveryCodeDevice(DeviceFields, TimestampMixin, Device):  # noqa: DJ008 (Device has __str__)
    """A user's set of single-use recovery codes, as one django-otp device.

    Being a :class:`~django_otp.models.Device` lets a login completed with a
    recovery code be marked verified by ``django_otp.login`` like any other.
    Recovery codes back up the real methods; they never count as one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_recovery_code_devices",
        verbose_name=_("user"),
        help_text=_("The user that this device belongs to."),
    )

    class Meta(Device.Meta):
        verbose_name = _("recovery code set")
        verbose_name_plural = _("recovery code sets")
        constraints = [models.UniqueConstraint(fields=["user"], name="twostep_one_recovery_set")]

    def consume_code(self, code: str) -> bool:
        """Use up ``code`` (normalised); False if it is not an unused code of this set.

        One conditional ``UPDATE``: a code raced by two workers works once.
        """
        candidates = crypto.digests(f"{self.user_id}:{code}", purpose=RECOVERY_CODE_PURPOSE)
        used = self.codes.filter(digest__in=candidates, used_at__isnull=True).update(
            used_at=clock.now()
        )
        if used:
            type(self).objects.filter(pk=self.pk).update(last_used_at=clock.now())
        return used == 1

    def verify_token(self, token: Any) -> bool:
        """django-otp's entry point; runs the same checked path as our flows."""
        return _verify_token(self, token)


class RecoveryCode(models.Model):
    """One single-use recovery code, stored only as a keyed digest."""

    device = models.ForeignKey(
        RecoveryCodeDevice,
        on_delete=models.CASCADE,
        related_name="codes",
        verbose_name=_("recovery code set"),
    )
    digest = models.CharField(_("code (digest)"), max_length=64)
    created_at = models.DateTimeField(_("created"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["device", "digest"], name="twostep_recovery_lookup")]

    def __str__(self) -> str:
        if self.used_at:
            return _("Recovery code #%(pk)s (used)") % {"pk": self.pk}
        return _("Recovery code #%(pk)s (unused)") % {"pk": self.pk}


class UserThrottle(models.Model):
    """The per-user back-off shared by every method and path.

    ``failures`` counts consecutive wrong codes; ``locked_until`` is when the
    next code may be checked. Flows lock this row (``select_for_update``) for
    the length of a code check, so checks of one user are serialised across
    workers and the counters cannot be raced.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="twostep_throttle",
        verbose_name=_("user"),
    )
    failures = models.PositiveIntegerField(_("wrong codes in a row"), default=0)
    locked_until = models.DateTimeField(_("next code checked from"), null=True, blank=True)

    class Meta:
        verbose_name = _("back-off record")
        verbose_name_plural = _("back-off records")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures}"

    def seconds_left(self, now: datetime | None = None) -> int:
        """Whole seconds (rounded up) before a code may be checked; 0 when free."""
        if self.locked_until is None:
            return 0
        remaining = (self.locked_until - (now or clock.now())).total_seconds()
        return max(0, math.ceil(remaining))

    @classmethod
    def seconds_left_for(cls, user_id: Any) -> int:
        row = cls.objects.filter(user_id=user_id).first()
        return row.seconds_left() if row else 0

    def record_failure(self, factor: float, now: datetime | None = None) -> None:
        """Count one more wrong code and start the wait of factor * 2^(n-1) s."""
        self.failures += 1
        exponent = min(self.failures - 1, _MAX_BACKOFF_EXPONENT)
        wait = factor * 2**exponent
        self.locked_until = (now or clock.now()) + timedelta(seconds=wait) if wait > 0 else None
        self.save(update_fields=["failures", "locked_until"])

    def record_success(self) -> None:
        if self.failures or self.locked_until:
            self.failures = 0
            self.locked_until = None
            self.save(update_fields=["failures", "locked_until"])


class Challenge(models.Model):
    """A pending login: the password was right, a second factor is awaited.

    Shared by page 2 of the HTML login (its id kept in the session) and the
    API (its id is the ``two_factor_id``). The random id is stored only as a
    keyed digest. It expires, is single use, allows a number of wrong codes,
    and dies when the user's password (``password_digest``) or two-factor
    set-up changes (flows delete the user's challenges then).
    """

    digest = models.CharField(_("ID (digest)"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_challenges",
        verbose_name=_("user"),
    )
    password_digest = models.CharField(_("password fingerprint"), max_length=64)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    attempts_left = models.PositiveSmallIntegerField(_("attempts left"))
    consumed_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending login")
        verbose_name_plural = _("pending logins")

    def __str__(self) -> str:
        return _("Pending login #%(pk)s") % {"pk": self.pk}


class TrustedBrowser(models.Model):
    """A browser the user chose to trust: page 2 is skipped while it lasts.

    The browser holds a signed cookie with a random token; only the token's
    digest is stored here, so the record can be revoked ("forget all",
    disabling two-factor) and dies with a password change.
    """

    digest = models.CharField(_("token (digest)"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_trusted_browsers",
        verbose_name=_("user"),
    )
    password_digest = models.CharField(_("password fingerprint"), max_length=64)
    user_agent = models.CharField(_("browser (user agent)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("trusted browser")
        verbose_name_plural = _("trusted browsers")

    def __str__(self) -> str:
        return _("Trusted browser #%(pk)s") % {"pk": self.pk}


class ApiToken(models.Model):
    """An access/refresh token pair issued by the API, stored as digests.

    Tokens of one login share a ``family``; refreshing rotates within the
    family, and reusing a spent refresh token revokes the whole family.
    ``verified_at`` is when a second factor was last proven with this token
    (step-up grace); a refreshed token inherits it. ``password_digest`` is a
    keyed digest of the user's password hash when the token was issued: a
    password changed by any means (API, pages, admin, reset e-mail) makes the
    token stop working, as for pending logins and trusted browsers.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="twostep_api_tokens",
        verbose_name=_("user"),
    )
    family = models.UUIDField(_("family"), db_index=True)
    access_digest = models.CharField(_("access token (digest)"), max_length=64, unique=True)
    refresh_digest = models.CharField(_("refresh token (digest)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    access_expires_at = models.DateTimeField(_("access token expires"))
    refresh_expires_at = models.DateTimeField(_("refresh token expires"), db_index=True)
    verified_at = models.DateTimeField(_("second step passed"), null=True, blank=True)
    rotated_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    password_digest = models.CharField(_("password fingerprint"), max_length=64, default="")
    # Recovery codes made by an activation through this token, encrypted, until
    # the next ``GET users/{username}/recovery-codes`` shows them (once).
    unseen_recovery_codes = models.TextField(
        _("recovery codes not shown yet (encrypted)"), blank=True, default=""
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return _("API token #%(pk)s") % {"pk": self.pk}


class SecurityEvent(models.Model):
    """One security event (enabled, verified, code failed, ...), for the user and staff.

    Never holds a secret, code or token.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="twostep_security_events",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=40)
    method = models.CharField(_("method"), max_length=20, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser (user agent)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    # Repeated refusals (throttled, wrong codes) within one minute share a row.
    count = models.PositiveIntegerField(_("times in that minute"), default=1)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [models.Index(fields=["user", "-created_at"], name="twostep_events_by_user")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} ({self.created_at:%Y-%m-%d %H:%M})"


# Every TOTP code that passes runs it: built once per connection (prepared.py).
_consume_step = PreparedUpdate(TOTPDevice, _consume_step_query)
