"""Recovery codes: single use, only digests stored, a new set voids the old."""

import re

import pytest
from django.db import connection

from django_twostep import clock, flows
from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import codes as shapes
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import RecoveryCode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_backoff(settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0


def test_a_set_has_ten_distinct_codes_of_60_bits(totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(
            r"[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}", code
        )
    # 12 symbols from a 32-letter alphabet: 60 bits, above the 50 required.
    assert len(shapes.RECOVERY_ALPHABET) == 32 and shapes.RECOVERY_CODE_LENGTH * 5 >= 50


def test_each_code_works_exactly_once(totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    for remaining, code in zip(range(9, -1, -1), codes, strict=True):
        assert flows.verify_second_factor(totp_user, code).method == "recovery_code"
        assert flows.recovery_codes_remaining(totp_user) == remaining
        with pytest.raises(FlowError) as error:
            flows.verify_second_factor(totp_user, code)
        assert error.value.code == "invalid_code"


@pytest.mark.parametrize("spelling", [str.upper, lambda c: c.replace("-", ""), lambda c: f" {c} "])
def test_codes_are_accepted_as_people_type_them(totp_user, spelling):
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    assert flows.verify_second_factor(totp_user, spelling(code)).method == "recovery_code"


def test_regenerating_voids_the_old_set(totp_user):
    old = recovery_flows.generate_recovery_codes(totp_user)
    new = recovery_flows.regenerate_recovery_codes(totp_user, verified_at=clock.now())
    assert not set(old) & set(new)
    with pytest.raises(FlowError):
        flows.verify_second_factor(totp_user, old[0])
    assert flows.verify_second_factor(totp_user, new[0]).method == "recovery_code"


def test_regenerating_needs_an_active_method(django_user_model):
    user = django_user_model.objects.create_user("eve", password="pw")
    with pytest.raises(FlowError) as error:
        recovery_flows.regenerate_recovery_codes(user)
    assert error.value.code == "not_enrolled"


def test_database_holds_no_plaintext_code(totp_user):
    codes = recovery_flows.generate_recovery_codes(totp_user)
    forms = {c for code in codes for c in (code, code.replace("-", ""), code.upper())}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {RecoveryCode._meta.db_table}")
        dump = repr(cursor.fetchall())
    assert not any(form in dump for form in forms)


def test_one_users_code_does_not_work_for_another(totp_user, django_user_model):
    from django_twostep.testing import enroll_totp

    other = django_user_model.objects.create_user("frank", password="pw")
    enroll_totp(other)
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    with pytest.raises(FlowError):
        flows.verify_second_factor(other, code)
    assert flows.verify_second_factor(totp_user, code).method == "recovery_code"


def test_methods_restrict_what_is_tried(totp_user):
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    with pytest.raises(FlowError):
        flows.verify_second_factor(totp_user, code, methods={"totp"})
    assert flows.verify_second_factor(totp_user, code, methods={"recovery_code"})


def test_a_recovery_code_can_disable_totp(totp_user):
    code = recovery_flows.generate_recovery_codes(totp_user)[0]
    totp_flows.disable_totp(totp_user, code)
    assert not flows.has_two_factor(totp_user)
