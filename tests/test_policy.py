"""TWOSTEP_REQUIRED and the step-up rule shared by pages and API."""

from datetime import timedelta

import pytest

from django_twostep import clock
from django_twostep.flows.policy import StepUp, is_required, must_enroll, step_up_status

pytestmark = pytest.mark.django_db


def only_carol(user):
    return user.get_username() == "carol"


@pytest.mark.parametrize(
    ("policy", "flags", "expected"),
    [
        (None, {"is_staff": True, "is_superuser": True}, False),
        ("staff", {"is_staff": True}, True),
        ("staff", {}, False),
        ("superuser", {"is_staff": True}, False),
        ("superuser", {"is_superuser": True}, True),
    ],
)
def test_required_policies(settings, django_user_model, policy, flags, expected):
    settings.TWOSTEP_REQUIRED = policy
    user = django_user_model.objects.create_user("u", password="pw", **flags)
    assert is_required(user) is expected
    assert must_enroll(user) is expected


def test_callable_policy(settings, django_user_model):
    settings.TWOSTEP_REQUIRED = "tests.test_policy.only_carol"
    carol = django_user_model.objects.create_user("carol", password="pw")
    dan = django_user_model.objects.create_user("dan", password="pw")
    assert is_required(carol) and not is_required(dan)


def test_enrolled_user_no_longer_must_enroll(settings, totp_user):
    settings.TWOSTEP_REQUIRED = "tests.test_policy.only_alice"
    assert is_required(totp_user) and not must_enroll(totp_user)


def only_alice(user):
    return user.get_username() == "alice"


def test_step_up_grace(totp_user, twostep_clock, settings):
    settings.TWOSTEP_STEP_UP_GRACE = 60
    verified = clock.now()
    assert step_up_status(totp_user, None) is StepUp.NEEDED
    assert step_up_status(totp_user, verified) is StepUp.FRESH
    twostep_clock.advance(59)
    assert step_up_status(totp_user, verified) is StepUp.FRESH
    twostep_clock.advance(1)
    assert step_up_status(totp_user, verified) is StepUp.NEEDED
    assert step_up_status(totp_user, verified + timedelta(seconds=30)) is StepUp.FRESH


def test_step_up_without_a_method(settings, django_user_model):
    user = django_user_model.objects.create_user("nomethod", password="pw", is_staff=True)
    assert step_up_status(user, None) is StepUp.NOTHING_TO_STEP_UP_TO
    settings.TWOSTEP_REQUIRED = "staff"
    assert step_up_status(user, None) is StepUp.NOT_ENROLLED
