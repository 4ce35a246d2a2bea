"""Secrets at rest: encrypted, authenticated, rotatable."""

import base64
import binascii

import pytest
from django.core.management import call_command
from django.db import connection

from django_twostep import crypto, flows
from django_twostep.models import TOTP_SECRET_PURPOSE, TOTPDevice
from django_twostep.testing import current_code, enroll_totp

pytestmark = pytest.mark.django_db

OLD_KEY = "old-key-material-0123456789abcdefghijklmnop"
NEW_KEY = "new-key-material-0123456789abcdefghijklmnop"


def raw_rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return cursor.fetchall()


def test_database_row_never_holds_the_secret(totp_user):
    device = TOTPDevice.objects.get(user=totp_user)
    secret = device.bin_key
    forms = {
        base64.b32encode(secret).decode().rstrip("="),
        base64.b32encode(secret).decode().rstrip("=").lower(),
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        secret.decode("latin-1"),
    }
    rows = raw_rows(TOTPDevice._meta.db_table)
    assert rows
    for row in rows:
        for value in row:
            text = value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
            for form in forms:
                assert form not in text
            if isinstance(value, bytes):
                assert secret not in value


def test_ciphertext_is_authenticated():
    sealed = crypto.encrypt(b"secret bytes", purpose="p")
    version, kid, body = sealed.split("$")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    tampered = f"{version}${kid}${base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, purpose="p")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, purpose="another purpose")
    assert crypto.decrypt(sealed, purpose="p") == b"secret bytes"


@pytest.mark.parametrize("garbage", ["", "v1$x", "v2$a$b", "v1$abc$!!!", "plain"])
def test_malformed_ciphertext_raises_a_clean_error(garbage):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(garbage, purpose="p")


def test_same_plaintext_encrypts_differently():
    assert crypto.encrypt(b"x", purpose="p") != crypto.encrypt(b"x", purpose="p")


def test_default_keys_follow_secret_key_and_fallbacks(settings):
    sealed = crypto.encrypt(b"x", purpose="p")
    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, purpose="p")
    settings.SECRET_KEY_FALLBACKS = ["example-only-not-secret-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f"]
    assert crypto.decrypt(sealed, purpose="p") == b"x"


def test_key_rotation_keeps_old_devices_working_and_reencrypts(
    django_user_model, twostep_clock, settings, capsys
):
    settings.TWOSTEP_ENCRYPTION_KEYS = [OLD_KEY]
    totp_user = django_user_model.objects.create_user("rotating", password="pw")
    enroll_totp(totp_user)
    twostep_clock.advance(60)
    sealed_before = TOTPDevice.objects.get(user=totp_user).encrypted_key

    # A new key goes first; the old one still decrypts.
    settings.TWOSTEP_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert not crypto.is_current(sealed_before)
    assert flows.verify_second_factor(totp_user, current_code(totp_user)).method == "totp"

    call_command("twostep_reencrypt")
    sealed_after = TOTPDevice.objects.get(user=totp_user).encrypted_key
    assert sealed_after != sealed_before
    assert crypto.is_current(sealed_after)
    assert "Re-encrypted 1 secret(s)" in capsys.readouterr().out

    # With the old key gone, the device still verifies.
    settings.TWOSTEP_ENCRYPTION_KEYS = [NEW_KEY]
    twostep_clock.advance(30)
    assert flows.verify_second_factor(totp_user, current_code(totp_user)).method == "totp"
    call_command("twostep_reencrypt")
    assert "Re-encrypted 0 secret(s); 1 already" in capsys.readouterr().out


def test_reencrypt_output_holds_no_secret(totp_user, settings, capsys):
    device = TOTPDevice.objects.get(user=totp_user)
    settings.TWOSTEP_ENCRYPTION_KEYS = [NEW_KEY, settings.SECRET_KEY]
    call_command("twostep_reencrypt")
    out = capsys.readouterr().out
    assert device.base32_key not in out and device.bin_key.hex() not in out


def test_purpose_is_bound(totp_user):
    sealed = TOTPDevice.objects.get(user=totp_user).encrypted_key
    assert crypto.decrypt(sealed, purpose=TOTP_SECRET_PURPOSE)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, purpose="recovery-code")


def test_keyed_digests_match_across_rotation(settings):
    settings.TWOSTEP_ENCRYPTION_KEYS = [OLD_KEY]
    stored = crypto.digest("code", purpose="p")
    settings.TWOSTEP_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert stored in crypto.digests("code", purpose="p")
    assert crypto.digest("code", purpose="p") != stored
    assert binascii.unhexlify(stored)
