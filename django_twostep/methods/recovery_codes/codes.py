"""The shapes of recovery codes: ours (12 Crockford base32 symbols, 60 bits) and
those imported from other packages (``manage.py twostep_import``)."""

from __future__ import annotations

import re

from ...flows.codes import MAX_CODE_LENGTH

# Crockford's base32: no i, l, o or u, so codes survive being read aloud.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 12  # 12 x 5 bits = 60 bits of entropy per code
_CROCKFORD_ALIASES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def as_recovery_code(code: str) -> str | None:
    """The canonical form of a recovery code, or None if ``code`` cannot be one."""
    code = code.translate(_CROCKFORD_ALIASES)
    if len(code) == RECOVERY_CODE_LENGTH and all(c in RECOVERY_ALPHABET for c in code):
        return code
    return None


# Recovery codes imported from another package (``manage.py twostep_import``):
# django-otp static tokens (8 base32 letters and digits, or whatever an admin
# typed, up to 16 characters) and allauth recovery codes (8 digits by default).
# They are stored as typed (normalised), without Crockford's aliases.
IMPORTED_CODE_MIN_LENGTH = 6
_IMPORTED_SHAPE = re.compile(r"[!-~]+")  # printable ASCII, no spaces


def as_imported_code(code: str) -> str | None:
    """The stored form of an imported recovery code, or None if ``code`` cannot be one.

    ``code`` must already be normalised. The importer stores only codes this
    accepts, and login looks codes up with the same function, so the two agree.
    """
    if IMPORTED_CODE_MIN_LENGTH <= len(code) <= MAX_CODE_LENGTH and _IMPORTED_SHAPE.fullmatch(code):
        return code
    return None


def recovery_code_candidates(code: str) -> list[str]:
    """The stored forms ``code`` (normalised) may have as a recovery code; empty if none.

    Ours (12 Crockford base32 symbols, aliases read) first, then the code as
    typed for imported sets. A code typed correctly in our shape has one form.
    """
    candidates = []
    for candidate in (as_recovery_code(code), as_imported_code(code)):
        if candidate is not None and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
