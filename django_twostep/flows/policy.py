"""Who must use two-step login (``TWOSTEP_REQUIRED``) and when step-up is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.module_loading import import_string

from .. import clock
from ..conf import twostep_settings
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
    """A user the policy covers who has no active method yet."""
    return is_required(user) and not has_two_factor(user)


class StepUp(Enum):
    """What a sensitive action needs from a user verified at some time."""

    FRESH = "fresh"  # verified within the grace period: go ahead
    NEEDED = "needed"  # ask for a code
    NOT_ENROLLED = "not_enrolled"  # the policy requires a method the user lacks
    NOTHING_TO_STEP_UP_TO = "exempt"  # no method and not required: go ahead


def step_up_status(user: AbstractBaseUser, verified_at: datetime | None) -> StepUp:
    """Step-up status for ``user``, last verified at ``verified_at`` (None: never)."""
    if not has_two_factor(user):
        return StepUp.NOT_ENROLLED if is_required(user) else StepUp.NOTHING_TO_STEP_UP_TO
    grace = timedelta(seconds=twostep_settings.STEP_UP_GRACE)
    if verified_at is not None and clock.now() - verified_at < grace:
        return StepUp.FRESH
    return StepUp.NEEDED
