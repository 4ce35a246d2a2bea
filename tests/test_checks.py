"""System checks reject incoherent configuration at start-up."""

import pytest
from django.core.checks import run_checks

from django_twostep.conf import TwoStepSettings, twostep_settings

AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OTP = "django_otp.middleware.OTPMiddleware"
TWOSTEP = "django_twostep.middleware.TwoStepMiddleware"


def twostep_errors():
    return sorted({e.id for e in run_checks() if e.id and e.id.startswith("django_twostep")})


def test_example_configuration_passes():
    assert twostep_errors() == []


def test_missing_django_otp_app(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django_otp"]
    assert "django_twostep.E001" in twostep_errors()


def test_no_middleware_installs_is_verified(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in (OTP, TWOSTEP)]
    assert twostep_errors() == ["django_twostep.E002"]


@pytest.mark.parametrize("installed", [[TWOSTEP], [OTP], [OTP, TWOSTEP], [TWOSTEP, OTP]])
def test_either_middleware_after_authentication_will_do(settings, installed):
    rest = [m for m in settings.MIDDLEWARE if m not in (OTP, TWOSTEP)]
    after = rest.index(AUTH) + 1
    settings.MIDDLEWARE = [*rest[:after], *installed, *rest[after:]]
    assert twostep_errors() == []


@pytest.mark.parametrize("middleware", [TWOSTEP, OTP])
def test_middleware_before_authentication(settings, middleware):
    rest = [m for m in settings.MIDDLEWARE if m not in (AUTH, OTP, TWOSTEP)]
    settings.MIDDLEWARE = [*rest[:2], middleware, AUTH, *rest[2:]]
    assert twostep_errors() == ["django_twostep.E003"]


@pytest.mark.parametrize(
    "keys",
    [
        "a-single-string-not-a-list-0123456789abcdef",
        [],
        ["short"],
        [b"x" * 40],
        ["k" * 40, "k" * 40],
    ],
)
def test_bad_key_material(settings, keys):
    settings.TWOSTEP_ENCRYPTION_KEYS = keys
    assert twostep_errors() == ["django_twostep.E004"]


def test_good_key_material(settings):
    settings.TWOSTEP_ENCRYPTION_KEYS = ["n" * 40, "o" * 40]
    assert twostep_errors() == []


@pytest.mark.parametrize("issuer", ["", "Acme: Inc", None])
def test_bad_issuer(settings, issuer):
    settings.TWOSTEP_ISSUER = issuer
    assert twostep_errors() == ["django_twostep.E005"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWOSTEP_CHALLENGE_TTL", 0),
        ("TWOSTEP_CHALLENGE_MAX_ATTEMPTS", "5"),
        ("TWOSTEP_STEP_UP_GRACE", -1),
        ("TWOSTEP_THROTTLE_FACTOR", -1),
        ("TWOSTEP_TOTP_DIGITS", 7),
        ("TWOSTEP_API_CHALLENGE_STATUS", 999),
        ("TWOSTEP_REMEMBER_DAYS", True),
    ],
)
def test_bad_numbers(settings, name, value):
    setattr(settings, name, value)
    assert twostep_errors() == ["django_twostep.E006"]


@pytest.mark.parametrize("value", ["False", 0, None])
def test_api_send_user_logged_in_must_be_a_bool(settings, value):
    settings.TWOSTEP_API_SEND_USER_LOGGED_IN = value
    assert twostep_errors() == ["django_twostep.E006"]
    settings.TWOSTEP_API_SEND_USER_LOGGED_IN = False
    assert twostep_errors() == []


@pytest.mark.parametrize("value", ["everyone", "no.such.module.callable", 3])
def test_bad_required_policy(settings, value):
    settings.TWOSTEP_REQUIRED = value
    assert twostep_errors() == ["django_twostep.E007"]


@pytest.mark.parametrize("value", [None, "staff", "superuser", "django.contrib.auth.get_user"])
def test_good_required_policy(settings, value):
    settings.TWOSTEP_REQUIRED = value
    assert twostep_errors() == []


def test_settings_are_read_live(settings):
    assert twostep_settings.CHALLENGE_TTL == 300
    settings.TWOSTEP_CHALLENGE_TTL = 42
    assert twostep_settings.CHALLENGE_TTL == 42


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    docs = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    for setting in TwoStepSettings.all():
        assert f"`{setting.name}`" in readme, setting.name
        assert f"`{setting.name}`" in docs, setting.name


BUILT_IN = TwoStepSettings.METHODS.default


@pytest.mark.parametrize(
    "value",
    [
        "django_twostep.methods.totp.TOTPMethod",  # a string, not a list
        [*BUILT_IN, "no.such.Method"],
        [*BUILT_IN, "django_twostep.models.TOTPDevice"],  # not a Method
        [*BUILT_IN, BUILT_IN[0]],  # a name twice
        [BUILT_IN[-1]],  # recovery codes alone turn nothing on
        [*BUILT_IN, "tests.test_checks.SecondBackup"],
        [*BUILT_IN, "tests.test_checks.BadName"],
        [*BUILT_IN, "tests.test_checks.LongName"],  # longer than SecurityEvent.method
    ],
)
def test_bad_methods(settings, value):
    settings.TWOSTEP_METHODS = value
    assert twostep_errors() == ["django_twostep.E008"]


@pytest.mark.parametrize("value", [BUILT_IN, BUILT_IN[1:], [BUILT_IN[0]]])
def test_good_methods(settings, value):
    settings.TWOSTEP_METHODS = value
    assert twostep_errors() == []


def _method(class_name: str, **attributes):
    from django_twostep.methods.recovery_codes import RecoveryCodesMethod

    return type(class_name, (RecoveryCodesMethod,), attributes)


SecondBackup = _method("SecondBackup", name="more_codes")
BadName = _method("BadName", name="No Spaces/Or Slashes", backup=False)
LongName = _method("LongName", name="a_name_of_twenty_one_", backup=False)
