"""Secret encryption and keyed hashing.

Key material comes from ``TWOSTEP_ENCRYPTION_KEYS`` (first key encrypts, every
key decrypts) or, by default, from ``SECRET_KEY`` followed by
``SECRET_KEY_FALLBACKS``. Each piece of material is stretched with HKDF into
independent sub-keys per purpose, so the encryption key never doubles as a
hashing key.

Ciphertexts look like ``v1$<key id>$<base64url(nonce | AES-256-GCM output)>``.
The key id says which key sealed a secret, so decryption tries one key and the
re-encryption command knows what is left to move.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .conf import twostep_settings

_VERSION = "v1"
_SALT = b"django-twostep/v1"


class DecryptionError(Exception):
    """A stored secret could not be opened with any configured key."""


def key_material() -> tuple[str, ...]:
    """The configured key material, newest first."""
    configured = twostep_settings.ENCRYPTION_KEYS
    if configured:
        return tuple(configured)
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@functools.lru_cache(maxsize=64)
def _derive(material: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose)
    return hkdf.derive(material.encode())


def _key_id(material: str) -> str:
    return _derive(material, b"key-id").hex()[:12]


def encrypt(plaintext: bytes, *, purpose: str) -> str:
    """Seal ``plaintext`` under the newest key; ``purpose`` is bound as associated data."""
    material = key_material()[0]
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_derive(material, b"encrypt")).encrypt(nonce, plaintext, purpose.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{_VERSION}${_key_id(material)}${body}"


def decrypt(token: str, *, purpose: str) -> bytes:
    """Open a value made by :func:`encrypt` with whichever configured key sealed it."""
    try:
        version, kid, body = token.split("$")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, AttributeError) as exc:
        raise DecryptionError("malformed ciphertext") from exc
    if version != _VERSION:
        raise DecryptionError("unknown ciphertext version")
    for material in key_material():
        if _key_id(material) == kid:
            try:
                aead = AESGCM(_derive(material, b"encrypt"))
                return aead.decrypt(raw[:12], raw[12:], purpose.encode())
            except InvalidTag as exc:
                raise DecryptionError("ciphertext failed authentication") from exc
    raise DecryptionError("no configured key matches this ciphertext")


def is_current(token: str) -> bool:
    """Whether ``token`` is sealed under the newest key."""
    return token.split("$")[1:2] == [_key_id(key_material()[0])]


def digests(value: str, *, purpose: str) -> list[str]:
    """Keyed digests (HMAC-SHA256) of ``value`` under every key, newest first.

    Store ``digests(...)[0]``; look up with ``digest__in=digests(...)`` so values
    hashed before a key rotation keep matching.
    """
    message = f"{purpose}\x00{value}".encode()
    return [
        hmac.new(_derive(material, b"hash"), message, hashlib.sha256).hexdigest()
        for material in key_material()
    ]


def digest(value: str, *, purpose: str) -> str:
    """The keyed digest of ``value`` under the newest key."""
    return digests(value, purpose=purpose)[0]
