"""How login recognises imported recovery codes beside ours, TOTP first, under the back-off."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice

from django_twostep.errors import FlowError
from django_twostep.importing import import_methods
from django_twostep.methods.recovery_codes.codes import as_imported_code, recovery_code_candidates
from django_twostep.models import UserThrottle

from .conftest import base32_of_hex, log_in, phone


@pytest.mark.parametrize(
    ("typed", "candidates"),
    [
        ("abcd0efg1hjk", ["abcd0efg1hjk"]),  # ours, typed right: one lookup
        ("abcdoefgihjk", ["abcd0efg1hjk", "abcdoefgihjk"]),  # ours with aliases, or imported
        ("q7kx2m9w", ["q7kx2m9w"]),  # a django-otp static token
        ("12345678", ["12345678"]),  # an allauth recovery code
        ("abc12", []),  # too short to import
        ("h\u00e9llo123", []),  # not ASCII
    ],
)
def test_recovery_code_candidates(typed, candidates):
    assert recovery_code_candidates(typed) == candidates


def test_imported_shape_refuses_controls_and_long_input():
    assert as_imported_code("abc\x00defg") is None
    assert as_imported_code("a" * 65) is None
    assert as_imported_code("a" * 64) == "a" * 64


@pytest.fixture
def imported_user(make_user, clock):
    user = make_user()
    device = OTPTOTPDevice.objects.create(user=user, name="default")
    static = StaticDevice.objects.create(user=user, name="backup")
    static.token_set.create(token="246810")  # an admin-made token shaped like a TOTP code
    import_methods("django-otp")
    return user, base32_of_hex(device.key)


def test_digits_are_tried_as_totp_first(imported_user, clock):
    user, secret = imported_user
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"


def test_digits_that_are_no_totp_code_may_be_an_imported_recovery_code(imported_user, clock):
    user, _secret = imported_user
    assert log_in(user, "246810").verification.method == "recovery_code"
    clock.advance(1)
    with pytest.raises(FlowError) as again:
        log_in(user, "246810")
    assert again.value.code == "invalid_code"


def test_a_wrong_code_counts_once_for_the_back_off(imported_user, clock):
    user, _secret = imported_user
    with pytest.raises(FlowError):
        log_in(user, "zzzz-zzzz-zzzz")
    assert UserThrottle.objects.get(user=user).failures == 1
    with pytest.raises(FlowError) as throttled:
        log_in(user, "246810")
    assert throttled.value.code == "too_many_attempts"
