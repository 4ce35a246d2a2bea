"""A software authenticator for the API tests: real EC P-256 keys (``cryptography``),
real ``clientDataJSON``, ``authenticatorData`` and signatures, "none" and "packed"
(self) attestation, as a browser and a security key would produce them.

It answers the options the API hands out (the Level 3 JSON forms) with the
Level 3 JSON responses a browser's ``PublicKeyCredential.toJSON()`` gives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor

AAGUID = bytes.fromhex("a4e9fc6d4cbe4758b8ba37598bb5bbaa")  # made up


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cose(public: ec.EllipticCurvePublicKey) -> bytes:
    numbers = public.public_numbers()
    return cbor.encode(
        {
            1: 2,  # kty: EC2
            3: -7,  # alg: ES256
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    )


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes | None
    counter: int = 0


@dataclass
class SoftwareAuthenticator:
    """Makes and uses credentials. ``origin``: where the "browser" says it is."""

    origin: str = "http://testserver"
    user_verified: bool = True
    attestation: str = "none"  # or "packed" (self attestation)
    counter_step: int = 1
    credentials: list[Credential] = field(default_factory=list)

    # -- registration -----------------------------------------------------------------

    def register(
        self,
        options: dict[str, Any],
        *,
        rp_id: str | None = None,
        resident: bool = True,
        challenge: str | None = None,
        credential: Credential | None = None,
    ) -> dict[str, Any]:
        """A RegistrationResponseJSON for ``options`` (PublicKeyCredentialCreationOptionsJSON).

        ``resident=False`` makes a non-discoverable credential (its assertions carry
        no ``userHandle``); ``challenge`` answers another challenge than the
        options'; ``credential`` registers an existing credential (the same key) again.
        """
        options = options.get("publicKey", options)
        rp_id = rp_id or options["rp"]["id"]
        if credential is None:
            key = ec.generate_private_key(ec.SECP256R1())
            handle = unb64(options["user"]["id"]) if resident else None
            credential = Credential(os.urandom(32), key, rp_id, handle)
            self.credentials.append(credential)
        key = credential.key
        client_data = self._client_data("webauthn.create", challenge or options["challenge"])
        flags = 0x41 | (0x04 if self.user_verified else 0)  # UP, AT (+ UV)
        attested = AAGUID + struct.pack(">H", len(credential.id)) + credential.id
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.counter)
            + attested
            + _cose(key.public_key())
        )
        if self.attestation == "packed":
            signature = key.sign(
                auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
            )
            statement = {"alg": -7, "sig": signature}
        else:
            statement = {}
        attestation_object = cbor.encode(
            {"fmt": self.attestation, "attStmt": statement, "authData": auth_data}
        )
        return {
            "id": b64(credential.id),
            "rawId": b64(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation_object),
                "transports": ["usb"],
            },
            "clientExtensionResults": {"credProps": {"rk": credential.user_handle is not None}},
            "authenticatorAttachment": "cross-platform",
        }

    # -- assertions -----------------------------------------------------------------------

    def assert_(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """An AuthenticationResponseJSON for ``options`` (PublicKeyCredentialRequestOptionsJSON)."""
        options = options.get("publicKey", options)
        credential = credential or self.credentials[-1]
        credential.counter += self.counter_step
        rp_id = rp_id or options.get("rpId") or credential.rp_id
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        flags = 0x01 | (0x04 if self.user_verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.counter)
        )
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(auth_data),
            "signature": b64(signature),
        }
        if credential.user_handle is not None:
            response["userHandle"] = b64(credential.user_handle)
        return {
            "id": b64(credential.id),
            "rawId": b64(credential.id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()


def tampered(answer: dict[str, Any]) -> dict[str, Any]:
    """A copy of an AuthenticationResponseJSON whose signature has one bit flipped."""
    signature = bytearray(unb64(answer["response"]["signature"]))
    signature[-1] ^= 0x01
    return {**answer, "response": {**answer["response"], "signature": b64(bytes(signature))}}
