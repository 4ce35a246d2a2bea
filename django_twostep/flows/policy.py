"""Who must use two-step login (``TWOSTEP_REQUIRED``) and when step-up is due.

:func:`authorize_method_change` is the one rule for changing a user's second
factors (adding, re-keying or removing a method, regenerating recovery codes):
every flow that changes them asks it, so the pages and the API cannot differ.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.module_loading import import_string

from .. import clock
from ..conf import twostep_settings
from ..errors import FlowError
from .methods import has_two_factor


def is_required(user: AbstractBaseUser) -> bool:
    """Whether ``TWOSTEP_REQUIRED`` makes ``user`` enrol."""
    policy = twostep_settings.REQUIRED
    if not policy or not user.is_authenticated:
        return False
    if policy == "staff":
        return bool(user.is_staff)
    if policy == "superuser":
        return bool(user.is_superuser)
    return bool(import_string(policy)(user))


def must_enroll(user: AbstractBaseUser) -> bool:
    """A user the policy covers who has no active method yet.

    A user whose session django-otp says is verified (``user.is_verified()``,
    set by the middleware) has a method: that spares the query.
    """
    if not is_required(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return False
    return not has_two_factor(user)


class StepUp(Enum):
    """What a sensitive action needs from a user verified at some time."""

    FRESH = "fresh"  # verified within the grace period: go ahead
    NEEDED = "needed"  # ask for a code
    NOT_ENROLLED = "not_enrolled"  # the policy requires a method the user lacks
    NOTHING_TO_STEP_UP_TO = "exempt"  # no method and not required: go ahead


def step_up_status(
    user: AbstractBaseUser, verified_at: datetime | None, *, change: bool = False
) -> StepUp:
    """Step-up status for ``user``, last verified at ``verified_at`` (None: never).

    ``change``: for a change to the user's second factors. A user without an
    active method may then always go ahead, whatever ``TWOSTEP_REQUIRED`` says:
    the first method is how they enrol.
    """
    if not has_two_factor(user):
        if change or not is_required(user):
            return StepUp.NOTHING_TO_STEP_UP_TO
        return StepUp.NOT_ENROLLED
    return StepUp.FRESH if is_fresh(verified_at) else StepUp.NEEDED


def is_fresh(verified_at: datetime | None) -> bool:
    """Whether a second factor proven at ``verified_at`` is within the step-up grace."""
    grace = timedelta(seconds=twostep_settings.STEP_UP_GRACE)
    return verified_at is not None and clock.now() - verified_at < grace


def authorize_method_change(user: AbstractBaseUser, verified_at: datetime | None) -> bool:
    """Let a change to ``user``'s second factors go ahead, or refuse it.

    ``verified_at`` is when the session or token asking last passed a second
    factor (None: never). Once the user has an active method, a change needs
    that to be within ``TWOSTEP_STEP_UP_GRACE``: otherwise ``mfa_code_missing``
    (403), and the page's step-up or an ``X-MFA-Code`` is the way on. Without
    this, a password alone would let an attacker enrol an authenticator of
    their own and strip the owner's.

    Returns True when the user has no active method: the change adds their
    first one, and only that activation verifies the session or token.
    """
    status = step_up_status(user, verified_at, change=True)
    if status is StepUp.NEEDED:
        raise FlowError("mfa_code_missing", parameter="X-MFA-Code")
    return status is StepUp.NOTHING_TO_STEP_UP_TO
