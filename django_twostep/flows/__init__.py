"""The business rules of django-twostep, shared by every method.

Users, devices and codes in; results out, or a
:class:`~django_twostep.errors.FlowError` with a stable code. Nothing here sees
a request: the HTML views and the DRF views are thin glue over these
functions, so every rule is written once. Each method's own rules are in its
package (``django_twostep.methods.totp.flows``, ...); these iterate over the
methods of ``TWOSTEP_METHODS``.

- :mod:`.codes`: normalising and checking codes under the per-user back-off.
- :mod:`.methods`: what a user has set up.
- :mod:`.changes`: after an activation; removing a method.
- :mod:`.login`: from the password to a logged-in user, through a pending login.
- :mod:`.delivery`: codes the server sends (e-mail, SMS).
- :mod:`.policy`: who must enrol (``TWOSTEP_REQUIRED``) and when step-up is due.
- :mod:`.trust`: trusted browsers. :mod:`.tokens`: the API's bearer tokens.
- :mod:`.events`: security events (signal, log record, table row).

The names below are the public API; docs/methods.md shows them at work.
"""

from .changes import (
    FRESH_CODES_SHOWN_FOR,
    Activation,
    invalidate_challenges,
    method_activated,
    remove_method,
)
from .codes import (
    MAX_CODE_LENGTH,
    Verification,
    normalize_code,
    throttle_wait,
    verify_device_code,
    verify_second_factor,
)
from .delivery import send_login_code, send_step_up_code
from .events import Origin
from .login import (
    LoginResult,
    LoginStep,
    PendingLogin,
    begin_login,
    begin_login_ceremony,
    ceremony_offers,
    check_login_allowed,
    live_challenge,
    login_in_one_request,
    password_accepted,
    verify_login_code,
)
from .methods import (
    TwoFactorState,
    active_devices,
    active_methods,
    has_two_factor,
    recovery_codes_remaining,
    two_factor_state,
)
from .policy import StepUp, authorize_method_change, is_required, must_enroll, step_up_status
from .step_up import begin_step_up_ceremony, verify_step_up

__all__ = [
    "FRESH_CODES_SHOWN_FOR",
    "MAX_CODE_LENGTH",
    "Activation",
    "LoginResult",
    "LoginStep",
    "Origin",
    "PendingLogin",
    "StepUp",
    "TwoFactorState",
    "Verification",
    "active_devices",
    "active_methods",
    "authorize_method_change",
    "begin_login",
    "begin_login_ceremony",
    "begin_step_up_ceremony",
    "ceremony_offers",
    "check_login_allowed",
    "has_two_factor",
    "invalidate_challenges",
    "is_required",
    "live_challenge",
    "login_in_one_request",
    "method_activated",
    "must_enroll",
    "normalize_code",
    "password_accepted",
    "recovery_codes_remaining",
    "remove_method",
    "send_login_code",
    "send_step_up_code",
    "step_up_status",
    "throttle_wait",
    "two_factor_state",
    "verify_device_code",
    "verify_login_code",
    "verify_second_factor",
    "verify_step_up",
]
