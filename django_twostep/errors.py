"""The one table of error codes, shared by forms, pages and the JSON API.

Flows raise :class:`FlowError` with a code from :data:`CATALOGUE`; the HTML
views turn it into a form error and the API into its error envelope, so a code
means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    title: str | Promise
    detail: str | Promise


#: Every error code with its HTTP status, title and detail (docs/api.md, "Error catalogue").
CATALOGUE: dict[str, ErrorSpec] = {
    "invalid_credentials": ErrorSpec(
        401, _("Invalid credentials"), _("The username or password is not correct.")
    ),
    "two_factor_required": ErrorSpec(
        401, _("Two-factor authentication required"), _("Enter a code to complete the login.")
    ),
    "invalid_code": ErrorSpec(400, _("Invalid code"), _("The code is not valid.")),
    "two_factor_expired": ErrorSpec(
        401, _("Login expired"), _("This login attempt has expired. Start again.")
    ),
    "too_many_attempts": ErrorSpec(
        429, _("Too many attempts"), _("Too many wrong codes. Wait before trying again.")
    ),
    "already_enabled": ErrorSpec(
        409, _("Already enabled"), _("Two-factor authentication is already enabled.")
    ),
    "not_enrolled": ErrorSpec(409, _("Not enrolled"), _("This two-factor method is not set up.")),
    "method_not_available": ErrorSpec(
        400, _("Method not available"), _("This method is not available for this account.")
    ),
    "mfa_code_missing": ErrorSpec(
        403, _("Code missing"), _("This action needs a current code in X-MFA-Code.")
    ),
    "mfa_code_invalid": ErrorSpec(403, _("Invalid code"), _("The X-MFA-Code is not valid.")),
    "mfa_type_missing": ErrorSpec(400, _("Type missing"), _("Say which kind of code to send.")),
    "mfa_type_not_found": ErrorSpec(400, _("Unknown type"), _("This kind of code does not exist.")),
    "permission_denied": ErrorSpec(
        403, _("Permission denied"), _("You may not act on this account.")
    ),
    "not_authenticated": ErrorSpec(
        401, _("Not authenticated"), _("A valid bearer token is required.")
    ),
    "invalid_grant": ErrorSpec(400, _("Invalid grant"), _("The refresh token is not valid.")),
    "validation_error": ErrorSpec(400, _("Invalid input"), _("The request is not valid.")),
    "parse_error": ErrorSpec(400, _("Malformed body"), _("The request body could not be read.")),
    "not_found": ErrorSpec(404, _("Not found"), _("No such resource.")),
    "method_not_allowed": ErrorSpec(
        405, _("Method not allowed"), _("This method is not allowed here.")
    ),
    "not_acceptable": ErrorSpec(406, _("Not acceptable"), _("No acceptable response format.")),
    "unsupported_media_type": ErrorSpec(
        415, _("Unsupported media type"), _("This body format is not supported.")
    ),
    "resend_too_soon": ErrorSpec(
        429,
        _("Sent too recently"),
        _("A code was sent a moment ago. Wait before asking for another one."),
    ),
    "invalid_credential": ErrorSpec(
        400,
        _("Invalid security key response"),
        _("The security key's answer could not be verified. Try again."),
    ),
    "credential_exists": ErrorSpec(
        409, _("Key already registered"), _("This security key is already registered.")
    ),
    "passkey_login_disabled": ErrorSpec(
        403, _("Passkey login is off"), _("This site does not offer logging in with a passkey.")
    ),
    "temporarily_unavailable": ErrorSpec(
        503, _("Temporarily unavailable"), _("The server is busy. Try again in a moment.")
    ),
}


class FlowError(Exception):
    """A business-rule refusal with a stable code from :data:`CATALOGUE`.

    ``retry_after`` is set (whole seconds) for ``too_many_attempts``,
    ``resend_too_soon`` and ``temporarily_unavailable``. ``reason`` tells refusals
    of one code apart where the person can act on the difference (``invalid_code``
    with ``"code_used"``: a right code typed a second time; its ``detail`` says
    so). The message never contains user input, so it is safe to log and to show.
    """

    def __init__(
        self,
        code: str,
        *,
        detail: str | Promise | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        parameter: str | None = None,
        meta: dict[str, object] | None = None,
        reason: str | None = None,
    ) -> None:
        spec = CATALOGUE[code]
        self.code = code
        self.reason = reason
        self.status = status or spec.status
        self.title = spec.title
        self.detail = detail or spec.detail
        self.retry_after = retry_after
        self.parameter = parameter
        self.meta = dict(meta or {})
        super().__init__(code)

    def __repr__(self) -> str:
        return f"FlowError({self.code!r}, status={self.status}, retry_after={self.retry_after})"


# SQLSTATEs of a busy PostgreSQL: serialization failure, deadlock, lock not available.
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_BUSY_SQLITE = ("database is locked", "database table is locked", "database schema is locked")
# Seconds a client is asked to wait when the database is busy.
BUSY_RETRY_AFTER = 1


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database was busy (worth a retry), not broken.

    SQLite's lock (its busy timeout ran out) and PostgreSQL's serialization
    failures, deadlocks and lock timeouts. These answer 503
    ``temporarily_unavailable``, never 500.
    """
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _BUSY_SQLSTATES:
        return True
    message = str(exc).lower()
    return any(text in message for text in _BUSY_SQLITE)


def busy() -> FlowError:
    """The refusal for a busy database: 503 ``temporarily_unavailable``, retry shortly."""
    return FlowError("temporarily_unavailable", retry_after=BUSY_RETRY_AFTER)


class Throttled(FlowError):
    """The user's back-off is running: no code was checked."""

    def __init__(self, retry_after: int, *, parameter: str | None = "code") -> None:
        super().__init__("too_many_attempts", retry_after=retry_after, parameter=parameter)
