"""Property tests: any input to the code path ends in a FlowError or a success, never a crash."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_twostep import flows
from django_twostep.errors import FlowError

pytestmark = pytest.mark.django_db


@given(raw=st.one_of(st.text(max_size=80), st.none(), st.integers(), st.binary(max_size=20)))
@settings(
    max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
def test_normalize_never_raises(raw):
    result = flows.normalize_code(raw)
    assert result is None or (isinstance(result, str) and result and " " not in result)


@given(raw=st.one_of(st.text(max_size=80), st.none(), st.integers(), st.lists(st.text(max_size=3))))
@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
def test_verification_refuses_junk_with_a_flow_error(totp_user, raw, django_settings_zero_backoff):
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(totp_user, raw)
    assert error.value.code == "invalid_code"


@pytest.fixture
def django_settings_zero_backoff(settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0
