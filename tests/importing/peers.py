"""What a site using the peers would have: allauth's MFA adapter that encrypts secrets."""

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django.conf import settings
from django.utils.encoding import force_bytes


def _fernet() -> Fernet:
    key = hashlib.sha256(force_bytes("allauth-test:" + settings.SECRET_KEY)).digest()
    return Fernet(base64.urlsafe_b64encode(key))


class EncryptingMFAAdapter(DefaultMFAAdapter):
    """Encrypts TOTP secrets and recovery-code seeds, as allauth's docs advise sites to."""

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()
