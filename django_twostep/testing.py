"""Test helpers for sites using django-twostep (and for django-twostep itself).

Use as a pytest plugin, in your ``conftest.py``::

    pytest_plugins = ["django_twostep.testing"]

Fixtures: ``twostep_clock`` (a clock you move), ``totp_user`` (a user with
TOTP enrolled), ``plain_user`` (a user without any method),
``verified_client`` (a test client logged in, verified and fresh for step-up).
Helpers: :func:`enroll_totp`, :func:`current_code`, :func:`wrong_code`,
:func:`login_verified` and :func:`log_in_on_two_pages` work without pytest.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from typing import Any

import pyotp
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse

from . import clock, flows, state
from .methods.totp import flows as totp_flows
from .models import TOTPDevice

#: The password of the users the fixtures make.
TEST_PASSWORD = "correct horse battery staple"


class Clock:
    """A frozen clock for ``django_twostep.clock``; move it with :meth:`advance`."""

    def __init__(self, start: float | None = None) -> None:
        # Start at the beginning of a 30 s step so "one step later" is exact.
        self.now = float(start if start is not None else (int(_time.time()) // 30) * 30)

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds

    def set(self, timestamp: float) -> None:
        """Set the clock to ``timestamp`` (seconds since the epoch)."""
        self.now = float(timestamp)


def totp_for(device: TOTPDevice) -> pyotp.TOTP:
    """A pyotp authenticator holding the device's secret, as a phone app would."""
    return pyotp.TOTP(device.base32_key, digits=device.digits, interval=device.step)


def current_code(user: AbstractBaseUser, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator app shows now (``offset_steps`` away)."""
    device = TOTPDevice.objects.get(user_id=user.pk, confirmed=True)
    return totp_for(device).at(clock.time() + offset_steps * device.step)


def wrong_code(user: AbstractBaseUser) -> str:
    """A well-formed code that no step near now accepts (for testing refusals)."""
    device = TOTPDevice.objects.get(user_id=user.pk, confirmed=True)
    window = range(-device.tolerance - 2, device.tolerance + 3)
    near = {current_code(user, offset_steps=offset + device.drift) for offset in window}
    return next(
        c for c in ("0" * device.digits, "1" * device.digits, "2" * device.digits) if c not in near
    )


def enroll_totp(user: AbstractBaseUser) -> TOTPDevice:
    """Set up and activate TOTP for ``user`` as a person would with an app.

    The activation code uses the current step, so the next code the user can
    log in with belongs to the next step: move the clock by one period first.
    A user who has another method already is taken to have just stepped up.
    """
    now = clock.now()
    enrollment = totp_flows.begin_totp_setup(user, verified_at=now)
    totp_flows.activate_totp(user, totp_for(enrollment.device).at(clock.time()), verified_at=now)
    return TOTPDevice.objects.get(pk=enrollment.device.pk)


def login_verified(client: Client, user: AbstractBaseUser) -> Client:
    """Log ``client`` in as ``user``, verified by their first active device and fresh
    for step-up, as if they had just passed page 2 (no request, no code used)."""
    from django_otp import login as otp_login

    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    devices = flows.active_devices(user)
    if devices:
        otp_login(request, devices[0])
        state.mark_verified(request)
    request.session.save()
    return client


def log_in_on_two_pages(
    client: Client,
    user: AbstractBaseUser,
    *,
    password: str = TEST_PASSWORD,
    code: str | None = None,
    remember: bool = False,
) -> HttpResponse:
    """Log in through the real pages: page 1, then page 2 with ``code`` (default: the
    current TOTP code). Returns the last response; move the clock one step between
    two calls, as a used code is refused."""
    response = client.post(
        reverse("twostep:login"), {"username": user.get_username(), "password": password}
    )
    if response.status_code != 302 or response["Location"] != reverse("twostep:login-code"):
        return response
    data = {"code": code if code is not None else current_code(user)}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("twostep:login-code"), data)


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixtures
    pytest = None

if pytest is not None:

    @pytest.fixture
    def twostep_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
        """Freeze django-twostep's clock at the start of a time step."""
        frozen = Clock()
        monkeypatch.setattr(clock, "time", frozen.time)
        yield frozen

    @pytest.fixture
    def totp_user(db: Any, django_user_model: Any, twostep_clock: Clock) -> AbstractBaseUser:
        """A user with password :data:`TEST_PASSWORD` and TOTP enrolled.

        The clock is moved two steps past the activation, so the codes of the
        previous, current and next step are all unused.
        """
        user = django_user_model.objects.create_user(
            username="alice", email="alice@example.com", password=TEST_PASSWORD
        )
        device = enroll_totp(user)
        twostep_clock.advance(2 * device.step)
        return user

    @pytest.fixture
    def plain_user(db: Any, django_user_model: Any) -> AbstractBaseUser:
        """A user with password :data:`TEST_PASSWORD` and no two-factor method."""
        return django_user_model.objects.create_user(
            username="bob", email="bob@example.com", password=TEST_PASSWORD
        )

    @pytest.fixture
    def verified_client(totp_user: AbstractBaseUser) -> Client:
        """A test client logged in as ``totp_user``, verified and fresh for step-up."""
        return login_verified(Client(), totp_user)
