"""twostep_import --from two-factor: a user enrolled through django-two-factor-auth's own pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice as OTPTOTPDevice

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.importing import import_methods
from django_twostep.models import TOTPDevice
from django_twostep.testing import TEST_PASSWORD

from .conftest import log_in, phone

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.importing.urls")]


def enrol_with_two_factor(client: Client, user, clock) -> str:
    """Run django-two-factor-auth's set-up wizard and backup-token page; return the secret."""
    client.force_login(user)
    setup = reverse("two_factor:setup")
    assert client.post(setup, {"setup_view-current_step": "welcome"}).status_code == 200
    if "django_two_factor-qr_secret_key" not in client.session:
        # More than one method installed (its WebAuthn plug-in): the wizard asks which.
        response = client.post(
            setup, {"setup_view-current_step": "method", "method-method": "generator"}
        )
        assert response.status_code == 200
    secret = client.session["django_two_factor-qr_secret_key"]
    response = client.post(
        setup,
        {
            "setup_view-current_step": "generator",
            "generator-token": phone(secret).at(clock.time()),
        },
    )
    assert response.status_code == 302, response.content[:500]
    response = client.post(reverse("two_factor:backup_tokens"))
    assert response.status_code == 302
    return secret


def two_factor_login(user, code: str, *, step: str = "token") -> bool:
    """Log in on django-two-factor-auth's login page; True if it let the user in.

    ``step`` is ``"token"`` for the authenticator app, ``"backup"`` for a backup token.
    """
    client = Client()
    login = reverse("two_factor:login")
    client.post(
        login,
        {
            "login_view-current_step": "auth",
            "auth-username": user.get_username(),
            "auth-password": TEST_PASSWORD,
        },
    )
    response = client.post(login, {"login_view-current_step": step, f"{step}-otp_token": code})
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_user_enrolled_with_two_factor_logs_in_after_import(make_user, clock):
    user = make_user()
    secret = enrol_with_two_factor(Client(), user, clock)
    clock.advance(30)
    code_used_at_two_factor = phone(secret).at(clock.time())
    assert two_factor_login(user, code_used_at_two_factor)
    tokens = list(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True))
    assert len(tokens) == 10

    report = import_methods("two-factor")
    assert report.users == [user.pk]
    assert (report.totp_devices, report.recovery_codes) == (1, 10)
    old = OTPTOTPDevice.objects.get(user=user)
    new = TOTPDevice.objects.get(user=user, confirmed=True)
    assert (new.last_t, new.drift, new.step, new.digits) == (
        old.last_t,
        old.drift,
        old.step,
        old.digits,
    )

    # The code django-two-factor-auth just accepted is not accepted again here.
    with pytest.raises(FlowError) as replay:
        log_in(user, code_used_at_two_factor)
    assert replay.value.code == "invalid_code"

    clock.advance(30)
    assert log_in(user, phone(secret).at(clock.time())).verification.method == "totp"
    clock.advance(1)
    assert log_in(user, tokens[0]).verification.method == "recovery_code"
    assert flows.recovery_codes_remaining(user) == 9


def test_backup_token_used_at_two_factor_is_not_imported(make_user, clock):
    user = make_user()
    enrol_with_two_factor(Client(), user, clock)
    tokens = list(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True))
    clock.advance(30)
    assert two_factor_login(user, tokens[0], step="backup")

    import_methods("two-factor")
    assert flows.recovery_codes_remaining(user) == 9
    with pytest.raises(FlowError) as refused:
        log_in(user, tokens[0])
    assert refused.value.code == "invalid_code"
