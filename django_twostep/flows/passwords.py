"""A keyed fingerprint of a user's password hash: pending logins, trusted browsers and
API tokens die when the password changes, without storing the hash again."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from .. import crypto

PASSWORD_PURPOSE = "password-fingerprint"


def password_fingerprint(user: AbstractBaseUser) -> str:
    """A keyed digest of the stored password hash: changes when the password does."""
    return crypto.digest(user.password or "", purpose=PASSWORD_PURPOSE)


def password_fingerprints(user: AbstractBaseUser) -> list[str]:
    """The digests under every key of ``TWOSTEP_ENCRYPTION_KEYS`` (rotation)."""
    return crypto.digests(user.password or "", purpose=PASSWORD_PURPOSE)
