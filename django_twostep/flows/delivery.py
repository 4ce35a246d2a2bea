"""Codes the server delivers (e-mail, a site's SMS): sending one for a pending login
or a step-up, through whichever method of ``TWOSTEP_METHODS`` delivers codes.

A method that delivers codes sets ``sends_codes`` and implements
:meth:`~django_twostep.methods.base.Method.send_code`; the sending limits and
the delivery itself are its own.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from ..errors import FlowError
from ..methods.base import Method
from ..methods.registry import sending_methods
from .events import Origin
from .login import live_challenge


def sending_method(user: AbstractBaseUser, name: str | None = None) -> Method:
    """The method that delivers ``user``'s codes: ``name``'s, or the first they have.

    ``method_not_available`` when it is not configured, sends no codes, or the
    user has not set it up. With one candidate, its
    :meth:`~django_twostep.methods.base.Method.send_code` finds out (and refuses
    the same way), which spares a query.
    """
    candidates = [m for m in sending_methods() if name is None or m.name == name]
    if len(candidates) == 1:
        return candidates[0]
    for method in candidates:
        if method.is_active(user):
            return method
    raise FlowError("method_not_available", parameter="method")


def send_login_code(
    challenge_id: object, *, method: str | None = None, origin: Origin | None = None
) -> None:
    """Deliver a code for a pending login (``two_factor_expired`` if it is dead)."""
    user = live_challenge(challenge_id).user
    sending_method(user, method).send_code(user, purpose="login", origin=origin)


def send_step_up_code(
    user: AbstractBaseUser, *, method: str | None = None, origin: Origin | None = None
) -> None:
    """Deliver a code to a logged-in user who must step up."""
    sending_method(user, method).send_code(user, purpose="step_up", origin=origin)
