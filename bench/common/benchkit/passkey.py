"""A software passkey per seeded user, for the passkey login (django-twostep only).

The logic of ``tests/webauthn_authenticator.py`` (real P-256 keys, real
``clientDataJSON``, ``authenticatorData`` and ES256 signatures, the Level 3
JSON forms: base64url without padding), kept here so the bench depends on
nothing of the test suite. Like the TOTP secrets of :mod:`benchkit.totp`, each
user's key and credential id are derived from the username, so the load
generator can sign without reading any database.

What the server chose and the authenticator must remember is the user handle
(``user.id`` of the creation options: a keyed digest of the user's primary key,
which only the server can make). The seed registers each passkey through the
package's own registration flow and keeps the handles in a JSON file beside the
database (:func:`store_path`), as a real authenticator keeps them; a passkey
login presents it as ``userHandle``.

The passkey login has users of its own (:func:`passkey_user`: ``passkey-user000001``
beside ``user000001``) whose one method is their passkey, so the users of the
password + code logins keep exactly the TOTP set-up every contender's users have
(a user with a key too would get a ceremony's options with every login).

The counter stays 0, as synced passkeys (iCloud Keychain, Google Password
Manager) report it: every login of a user may then reuse the same credential
in any order, from any process.

Needs ``cryptography`` (imported when a key is first used), which every
django-twostep install has.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2]
# The relying party and origin of the bench site (twostep_site/settings.py): the
# load generator talks to 127.0.0.1 (an IP address is no valid RP id) and the test
# client to "testserver", so the site names one of its own, as behind a proxy.
RP_ID = "localhost"
ORIGIN = "http://localhost"
AAGUID = bytes(16)  # "none" attestation: no make or model told
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256's n


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- CBOR, the little the attestation object and a COSE key need ---------------------


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, value)
    raise ValueError("integer too large for CBOR")


def cbor(value: Any) -> bytes:
    """Canonical-enough CBOR of ints, bytes, text and maps (RFC 8949)."""
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(f"no CBOR for {type(value).__name__}")


# -- the keys ------------------------------------------------------------------------------


def _scalar(label: str, username: str) -> int:
    seed = hashlib.sha256(f"django-twostep-bench-{label}:{username}".encode()).digest()
    return int.from_bytes(seed, "big") % (_ORDER - 1) + 1


def passkey_user(username: str) -> str:
    """The passkey login's user beside a seeded user (``user000001``, ``check001``)."""
    return f"passkey-{username}"


def credential_id(username: str) -> bytes:
    return hashlib.sha256(f"django-twostep-bench-credential:{username}".encode()).digest()


def store_path(db_url: str) -> Path:
    """Where the user handles of the passkeys seeded into ``db_url`` are kept."""
    if db_url.startswith("sqlite:"):
        return Path(db_url.split("sqlite://", 1)[1] + ".passkeys.json")
    name = db_url.rstrip("/").rsplit("/", 1)[-1]
    return BENCH / "var" / f"{name}.passkeys.json"


def load_handles(db_url: str) -> dict[str, str]:
    path = store_path(db_url)
    return json.loads(path.read_text()) if path.exists() else {}


def save_handles(db_url: str, handles: dict[str, str]) -> None:
    path = store_path(db_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(handles))


class Passkey:
    """One user's passkey. ``wrong``: signs with another key (a forged answer).

    Called like :class:`benchkit.totp.App` is read: :meth:`assert_` answers the
    options of a login; :meth:`crossed_step` is always False (no time steps).
    """

    def __init__(self, username: str, user_handle: str | None, *, wrong: bool = False) -> None:
        self.username = username
        self.user_handle = user_handle
        self.wrong = wrong

    def _key(self, *, wrong: bool = False):
        from cryptography.hazmat.primitives.asymmetric import ec

        label = "wrong-passkey" if wrong else "passkey"
        return ec.derive_private_key(_scalar(label, self.username), ec.SECP256R1())

    def cose_public_key(self) -> bytes:
        numbers = self._key().public_key().public_numbers()
        return cbor(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def crossed_step(self) -> bool:
        return False

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": False}
        ).encode()

    def register(self, options: dict[str, Any]) -> dict[str, Any]:
        """A RegistrationResponseJSON for PublicKeyCredentialCreationOptionsJSON ``options``
        (a discoverable credential, user verified, backed up, "none" attestation)."""
        options = options.get("publicKey", options)
        self.user_handle = options["user"]["id"]
        cred_id = credential_id(self.username)
        client_data = self._client_data("webauthn.create", options["challenge"])
        auth_data = (
            hashlib.sha256(options["rp"]["id"].encode()).digest()
            + bytes([0x5D])  # UP, UV, BE, BS (a synced passkey), AT
            + struct.pack(">I", 0)
            + AAGUID
            + struct.pack(">H", len(cred_id))
            + cred_id
            + self.cose_public_key()
        )
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(cred_id),
            "rawId": b64(cred_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
            "authenticatorAttachment": "platform",
        }

    def assert_(self, options: dict[str, Any]) -> dict[str, Any]:
        """An AuthenticationResponseJSON for PublicKeyCredentialRequestOptionsJSON ``options``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        options = options.get("publicKey", options)
        cred_id = credential_id(self.username)
        client_data = self._client_data("webauthn.get", options["challenge"])
        rp_id = options.get("rpId") or RP_ID
        flags = bytes([0x1D])  # UP, UV, BE, BS
        auth_data = hashlib.sha256(rp_id.encode()).digest() + flags + struct.pack(">I", 0)
        signature = self._key(wrong=self.wrong).sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(auth_data),
            "signature": b64(signature),
        }
        if self.user_handle:
            response["userHandle"] = self.user_handle
        return {
            "id": b64(cred_id),
            "rawId": b64(cred_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
