"""Step-up with any method: a code (:func:`~.codes.verify_second_factor`) or a
ceremony's answer (a security key), under the same back-off.

The pages' ``twostep:verify`` and the API's ``X-MFA-Code`` and ``mfa/verify``
use these; who needs step-up and when is :mod:`.policy`'s.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from ..errors import FlowError
from ..methods.base import Method, Site
from ..methods.registry import get_method
from .codes import Verification, checked, record_verification, verify_second_factor
from .events import Origin


def ceremony_method(user: AbstractBaseUser, name: object) -> Method:
    """The user's ceremony method called ``name`` (a security key), or
    ``method_not_available``."""
    method = get_method(name) if isinstance(name, str) else None
    if method is None or method.kind != "ceremony" or not method.is_active(user):
        raise FlowError("method_not_available", parameter="type")
    return method


def begin_step_up_ceremony(user: AbstractBaseUser, name: str, site: Site) -> dict[str, Any]:
    """The options of a step-up ceremony with the user's method ``name``."""
    return ceremony_method(user, name).begin_ceremony(user, purpose="step_up", site=site)


def verify_step_up(
    user: AbstractBaseUser,
    *,
    code: object = None,
    method: str | None = None,
    response: Any = None,
    site: Site | None = None,
    origin: Origin | None = None,
) -> Verification:
    """Check a step-up: a ceremony's ``response`` for the method ``method``, or else
    a ``code`` of any of the user's methods. A wrong one counts for the back-off
    (``invalid_credential``, ``invalid_code``, ``too_many_attempts``)."""
    if response is None:
        return verify_second_factor(user, code, origin=origin)
    named = ceremony_method(user, method)
    if site is None:
        raise FlowError("validation_error", parameter="credential")

    def check() -> Verification | None:
        device = named.verify_ceremony(user, response, purpose="step_up", site=site, origin=origin)
        return Verification(named.name, device) if device is not None else None

    return checked(
        user,
        check,
        on_success=lambda verification: record_verification(user, verification, origin),
        method=named.name,
        origin=origin,
        refusal="invalid_credential",
    )
