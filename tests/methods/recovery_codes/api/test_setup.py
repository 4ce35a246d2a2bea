"""users/{username}/recovery-codes: how many are left, and a new set (Acreto-style)."""

import pytest

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.testing import current_code
from tests.api.conftest import codes, recovery_url

pytestmark = pytest.mark.django_db


def test_remaining_recovery_codes(totp_api, totp_user):
    assert totp_api.get(recovery_url()).json() == {"remaining": 10}
    response = totp_api.post(recovery_url())
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    new = response.json()["codes"]
    assert len(new) == 10 and len(set(new)) == 10
    assert totp_api.get(recovery_url()).json() == {"remaining": 10}


def test_regenerating_invalidates_the_old_set(totp_api, totp_user, twostep_clock):
    old = recovery_flows.generate_recovery_codes(totp_user)
    new = totp_api.post(recovery_url()).json()["codes"]
    with pytest.raises(FlowError):
        flows.verify_second_factor(totp_user, old[0])
    twostep_clock.advance(1)
    assert flows.verify_second_factor(totp_user, new[0]).method == "recovery_code"


def test_regenerating_without_a_method_is_not_enrolled(plain_api):
    response = plain_api.post(recovery_url())
    assert response.status_code == 409 and codes(response) == ["not_enrolled"]


def test_regenerating_needs_step_up_after_the_grace(totp_api, totp_user, twostep_clock):
    twostep_clock.advance(1800)
    response = totp_api.post(recovery_url())
    assert response.status_code == 403 and codes(response) == ["mfa_code_missing"]
    response = totp_api.post(recovery_url(), HTTP_X_MFA_CODE=current_code(totp_user))
    assert response.status_code == 201
