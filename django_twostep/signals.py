"""Signals sent for every security event.

Each is sent with ``sender`` = the user model class and the keyword arguments
``user``, ``method`` (``"totp"``, ``"recovery_code"``, ``"email"``, ``"webauthn"``,
``"trusted_browser"`` for a login that skipped the code step, or ``""``)
and ``origin`` (:class:`django_twostep.flows.events.Origin`). None carries a
secret, code or token.
"""

from django.dispatch import Signal

two_factor_enabled = Signal()
two_factor_disabled = Signal()
challenge_created = Signal()
code_verified = Signal()
code_failed = Signal()
recovery_code_used = Signal()
throttled = Signal()
trusted_browser_added = Signal()
admin_reset = Signal()
email_code_sent = Signal()
refresh_token_reused = Signal()
recovery_codes_regenerated = Signal()
# A security key answered with a signature counter that did not grow: a cloned key.
webauthn_counter_regressed = Signal()

BY_EVENT = {
    "enabled": two_factor_enabled,
    "disabled": two_factor_disabled,
    "challenge_created": challenge_created,
    "verified": code_verified,
    "code_failed": code_failed,
    "recovery_code_used": recovery_code_used,
    "throttled": throttled,
    "trusted_browser_added": trusted_browser_added,
    "admin_reset": admin_reset,
    "email_code_sent": email_code_sent,
    "refresh_token_reused": refresh_token_reused,
    "recovery_codes_regenerated": recovery_codes_regenerated,
    "webauthn_counter_regressed": webauthn_counter_regressed,
}
