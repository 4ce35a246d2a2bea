"""The business rules of django-twostep.

Users, devices and codes in; results out, or a
:class:`~django_twostep.errors.FlowError` with a stable code. Nothing here sees
a request: the HTML views and the DRF views are thin glue over these
functions, so every rule is written once.

- :mod:`.codes`: normalising and checking codes under the per-user back-off.
- :mod:`.methods`: what a user has set up.
- :mod:`.totp`, :mod:`.email`, :mod:`.recovery`: the methods and recovery codes.
- :mod:`.login`: the pending login between the password and the code.
- :mod:`.policy`: who must enrol (``TWOSTEP_REQUIRED``) and when step-up is due.
- :mod:`.events`: security events (signal, log record, table row).
"""

from .codes import (
    MAX_CODE_LENGTH,
    RECOVERY_ALPHABET,
    RECOVERY_CODE_LENGTH,
    Verification,
    normalize_code,
    throttle_wait,
    verify_device_code,
    verify_second_factor,
)
from .events import Origin
from .login import (
    LoginResult,
    PendingLogin,
    begin_login,
    invalidate_challenges,
    pending_login,
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
from .recovery import generate_recovery_codes, regenerate_recovery_codes
from .totp import (
    Activation,
    TOTPEnrollment,
    activate_totp,
    begin_totp_setup,
    disable_totp,
    pending_totp,
    provisioning_uri,
)

__all__ = [
    "MAX_CODE_LENGTH",
    "RECOVERY_ALPHABET",
    "RECOVERY_CODE_LENGTH",
    "Activation",
    "LoginResult",
    "Origin",
    "PendingLogin",
    "TOTPEnrollment",
    "TwoFactorState",
    "Verification",
    "activate_totp",
    "active_devices",
    "active_methods",
    "begin_login",
    "begin_totp_setup",
    "disable_totp",
    "generate_recovery_codes",
    "has_two_factor",
    "invalidate_challenges",
    "normalize_code",
    "pending_login",
    "pending_totp",
    "provisioning_uri",
    "recovery_codes_remaining",
    "regenerate_recovery_codes",
    "throttle_wait",
    "two_factor_state",
    "verify_device_code",
    "verify_login_code",
    "verify_second_factor",
]
