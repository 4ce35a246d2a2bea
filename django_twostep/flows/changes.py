"""Changing a user's second factors: what follows an activation, and removing a method.

Each method's own flows start and finish its set-up; what every activation and
every removal then does is written here once, for every method of
``TWOSTEP_METHODS``:

- an activation kills the user's pending logins, makes recovery codes when the
  user has none left, records ``enabled``, and verifies the session or token
  that made it only when it is the user's *first* method (a second method could
  be an attacker's own);
- a removal needs step-up (:func:`~.policy.authorize_method_change`, or a right
  code given with it), kills the pending logins, and takes the recovery codes
  and trusted browsers with the last method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_otp.models import Device

from ..errors import FlowError
from ..methods.base import Method
from ..methods.registry import backup_method, get_method, routed_methods
from ..models import Challenge, TrustedBrowser
from . import events
from .codes import lock_user, verify_second_factor
from .events import Origin
from .methods import has_two_factor
from .policy import authorize_method_change

# Seconds a new set of recovery codes stays on its page and downloadable, in the
# session that made it (an activation or a regeneration); then it is gone for good.
FRESH_CODES_SHOWN_FOR = 600


@dataclass(frozen=True)
class Activation:
    """A method just activated."""

    device: Device
    # A fresh set when the user had no unused recovery codes; show it once.
    recovery_codes: list[str] | None
    # The user's first method: only then does proving it verify the session or
    # token that activated it (a second method could be an attacker's own).
    verifies: bool = False


def configured_method(name: object, *, parameter: str = "method") -> Method:
    """The method of ``TWOSTEP_METHODS`` called ``name``, or ``validation_error``
    (about ``parameter``, the input that named it)."""
    method = get_method(name) if isinstance(name, str) else None
    if method is None:
        raise FlowError("validation_error", parameter=parameter)
    return method


def method_activated(
    user: AbstractBaseUser, device: Device, method: str, origin: Origin | None, *, first: bool
) -> Activation:
    """After a first code confirmed a method: pending logins die, recovery codes appear.

    ``first``: the user had no other active method (from
    :func:`~.policy.authorize_method_change`).
    """
    invalidate_challenges(user)
    backup = backup_method()
    codes = None
    if backup is not None and not backup.codes_remaining(user):
        codes = backup.issue_codes(user)
    events.record("enabled", user, method=method, origin=origin)
    return Activation(device=device, recovery_codes=codes, verifies=first)


def remove_method(
    user: AbstractBaseUser,
    name: str,
    *,
    code: object = None,
    chosen: str | None = None,
    verified_at: datetime | None = None,
    origin: Origin | None = None,
) -> None:
    """Remove the user's method ``name`` (pending set-ups included), after step-up.

    The step-up is ``code`` when one is given (of any active method, or a
    recovery code; it counts for the back-off), else a verification within the
    grace (``verified_at``; else ``mfa_code_missing``). ``not_enrolled`` when
    there is nothing of that method to remove; the backup method (recovery
    codes) is not removed on its own. When no method remains, the recovery
    codes and trusted browsers go too. ``chosen``: see
    :func:`~.codes.verify_second_factor`.
    """
    method = removable_method(user, name)
    if code is not None:
        verify_second_factor(user, code, chosen=chosen, origin=origin)
    else:
        authorize_method_change(user, verified_at)
    with transaction.atomic():
        lock_user(user)  # first, as code checks do: a login being checked cannot deadlock us
        method.remove(user)
        method_removed(user)
    events.record("disabled", user, method=method.name, origin=origin)


def removable_method(user: AbstractBaseUser, name: object) -> Method:
    """The configured method ``name`` if the user has something of it to remove.

    ``validation_error`` (about ``name``) when it is not configured,
    ``not_enrolled`` when there is nothing to remove or it is the backup (which
    goes with the last method only). Asked before any step-up code is checked,
    so a request that cannot succeed spends no code.
    """
    method = configured_method(name, parameter="name")
    if method.backup or not method.removable(user):
        raise FlowError("not_enrolled")
    return method


def method_removed(user: AbstractBaseUser) -> None:
    """After a method went: pending logins die; with no method left, so do the extras.

    Recovery codes and trusted browsers only make sense beside a method.
    """
    invalidate_challenges(user)
    if not has_two_factor(user):
        # Every backup, configured or built-in: a set left behind would work again
        # if the site put recovery codes back.
        for backup in routed_methods():
            if backup.backup:
                backup.remove(user)
        TrustedBrowser.objects.filter(user_id=user.pk).delete()


def invalidate_challenges(user: AbstractBaseUser) -> None:
    """Kill the user's pending logins (their two-factor set-up just changed)."""
    Challenge.objects.filter(user_id=user.pk, consumed_at__isnull=True).delete()
