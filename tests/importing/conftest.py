"""Fixtures for the import tests: the peers' clocks follow ours, logins through our flows."""

from __future__ import annotations

import base64
import types

import pyotp
import pytest
from django.contrib.auth.base_user import AbstractBaseUser

from django_twostep import flows
from django_twostep.testing import TEST_PASSWORD, Clock


@pytest.fixture
def clock(twostep_clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """One frozen clock for django-twostep and for the peers' own code checks."""
    import allauth.mfa.totp.internal.auth as allauth_totp
    import django_otp.oath
    import django_otp.plugins.otp_totp.models as otp_totp_models
    import two_factor.forms

    module = types.SimpleNamespace(time=twostep_clock.time)
    monkeypatch.setattr(django_otp.oath, "time", twostep_clock.time)
    monkeypatch.setattr(otp_totp_models, "time", module)
    monkeypatch.setattr(two_factor.forms, "time", twostep_clock.time)
    monkeypatch.setattr(allauth_totp, "time", module)
    return twostep_clock


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str = "alice") -> AbstractBaseUser:
        return django_user_model.objects.create_user(
            username=username, email=f"{username}@example.com", password=TEST_PASSWORD
        )

    return make


def phone(secret: str, *, digits: int = 6, period: int = 30) -> pyotp.TOTP:
    """The user's authenticator app, holding the base32 secret the peer showed."""
    return pyotp.TOTP(secret, digits=digits, interval=period)


def base32_of_hex(hex_key: str) -> str:
    """django-otp stores hex; the QR code it shows carries base32."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode()


def log_in(user: AbstractBaseUser, code: str) -> flows.LoginResult:
    """Page 1 (password already right) then page 2 with ``code``, through our flows."""
    pending = flows.begin_login(user)
    assert pending is not None, "the user has no active django-twostep method"
    return flows.verify_login_code(pending.id, code)
