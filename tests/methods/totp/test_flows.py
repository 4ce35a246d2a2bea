"""TOTP: enrolment, the otpauth URI, activation, verification windows and replay."""

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django_otp import devices_for_user, match_token
from django_otp.models import Device

from django_twostep import flows
from django_twostep.errors import FlowError
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.models import TOTPDevice
from django_twostep.testing import current_code, totp_for, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("bob@example.com", password="pw")


@pytest.fixture(autouse=True)
def _no_backoff(settings):
    # These tests are about windows and replay, not back-off (tested on its own).
    settings.TWOSTEP_THROTTLE_FACTOR = 0


def test_setup_makes_a_pending_device_with_a_160_bit_secret(user, twostep_clock):
    enrollment = totp_flows.begin_totp_setup(user)
    device = enrollment.device
    assert device.confirmed is False
    assert len(device.bin_key) == 20
    assert len(enrollment.secret) == 32
    assert enrollment.secret_grouped.replace(" ", "") == enrollment.secret
    assert flows.two_factor_state(user).pending is True
    assert flows.two_factor_state(user).enabled is False


def test_new_setup_replaces_the_pending_secret(user, twostep_clock):
    first = totp_flows.begin_totp_setup(user)
    second = totp_flows.begin_totp_setup(user)
    assert first.secret != second.secret
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert totp_flows.pending_totp(user).secret == second.secret


def test_setup_refuses_when_totp_is_active(totp_user):
    with pytest.raises(FlowError) as error:
        totp_flows.begin_totp_setup(totp_user)
    assert error.value.code == "already_enabled"
    assert error.value.status == 409


def test_provisioning_uri_has_issuer_account_and_parameters(user, settings, twostep_clock):
    settings.TWOSTEP_ISSUER = "Example Co"
    enrollment = totp_flows.begin_totp_setup(user)
    parts = urlsplit(enrollment.uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Example%20Co:bob@example.com"
    query = parse_qs(parts.query)
    assert query == {
        "secret": [enrollment.secret],
        "issuer": ["Example Co"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    # pyotp, as an authenticator app, reads it back to the same generator.
    parsed = pyotp.parse_uri(enrollment.uri)
    assert parsed.secret == enrollment.secret
    assert parsed.issuer == "Example Co"


def test_activation_needs_a_right_code(user, twostep_clock):
    totp_flows.begin_totp_setup(user)
    with pytest.raises(FlowError) as error:
        totp_flows.activate_totp(user, "12345")
    assert error.value.code == "invalid_code"
    assert flows.two_factor_state(user).enabled is False


def test_activation_with_a_code_from_the_app_enables_totp(user, twostep_clock):
    enrollment = totp_flows.begin_totp_setup(user)
    activation = totp_flows.activate_totp(
        user, totp_for(enrollment.device).at(twostep_clock.time())
    )
    assert activation.device.confirmed is True
    state = flows.two_factor_state(user)
    assert state.enabled is True and state.pending is False and state.methods == ["totp"]
    assert len(activation.recovery_codes) == 10
    assert state.recovery_codes_remaining == 10


def test_activation_without_pending_device_is_not_enrolled(user):
    with pytest.raises(FlowError) as error:
        totp_flows.activate_totp(user, "123456")
    assert error.value.code == "not_enrolled"


def test_activation_learns_the_phone_clock_offset(user, twostep_clock):
    enrollment = totp_flows.begin_totp_setup(user)
    app = totp_for(enrollment.device)
    # The phone runs one step (30 s) fast.
    totp_flows.activate_totp(user, app.at(twostep_clock.time() + 30))
    device = TOTPDevice.objects.get(user=user)
    assert device.drift == 1
    # Later, the phone is still one step fast; two steps ahead of the server's
    # "now" is inside the window only because the offset was learned.
    twostep_clock.advance(300)
    assert flows.verify_second_factor(user, app.at(twostep_clock.time() + 60)).method == "totp"


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_codes_within_one_step_are_accepted(totp_user, twostep_clock, offset):
    verification = flows.verify_second_factor(
        totp_user, current_code(totp_user, offset_steps=offset)
    )
    assert verification.method == "totp"


@pytest.mark.parametrize("offset", [-2, 2])
def test_codes_two_steps_away_are_refused(totp_user, twostep_clock, offset):
    code = current_code(totp_user, offset_steps=offset)
    # Guard against the one-in-a-million case of the code coinciding with a valid one.
    valid = {current_code(totp_user, offset_steps=o) for o in (-1, 0, 1)}
    assert code not in valid
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(totp_user, code)
    assert error.value.code == "invalid_code"


def test_the_same_step_is_refused_the_second_time(totp_user, twostep_clock):
    code = current_code(totp_user)
    flows.verify_second_factor(totp_user, code)
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(totp_user, code)
    assert error.value.code == "invalid_code"


def test_an_older_step_is_refused_after_a_newer_one(totp_user, twostep_clock):
    newer, older = current_code(totp_user, offset_steps=1), current_code(totp_user)
    flows.verify_second_factor(totp_user, newer)
    with pytest.raises(FlowError):
        flows.verify_second_factor(totp_user, older)


def test_the_activation_code_cannot_log_in(user, twostep_clock):
    enrollment = totp_flows.begin_totp_setup(user)
    code = totp_for(enrollment.device).at(twostep_clock.time())
    totp_flows.activate_totp(user, code)
    with pytest.raises(FlowError):
        flows.verify_second_factor(user, code)


RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("timestamp", "code"), RFC_6238_SHA1)
def test_rfc_6238_appendix_b_vectors(user, twostep_clock, timestamp, code):
    device = TOTPDevice(user=user, confirmed=True, digits=8, step=30, tolerance=0)
    device.set_key(b"12345678901234567890")
    device.save()
    twostep_clock.set(timestamp)
    verification = flows.verify_second_factor(user, code)
    assert verification.device.pk == device.pk
    assert TOTPDevice.objects.get(pk=device.pk).last_t == timestamp // 30


def test_rfc_vector_refused_at_another_time(user, twostep_clock):
    device = TOTPDevice(user=user, confirmed=True, digits=8, step=30, tolerance=0)
    device.set_key(b"12345678901234567890")
    device.save()
    twostep_clock.set(1111111111 + 30)
    with pytest.raises(FlowError):
        flows.verify_second_factor(user, "14050471")


@pytest.mark.parametrize("spelling", ["{a} {b}", "{a}-{b}", " {a}{b} ", "{a}\t{b}\n"])
def test_spaces_and_dashes_are_ignored(totp_user, twostep_clock, spelling):
    code = current_code(totp_user)
    typed = spelling.format(a=code[:3], b=code[3:])
    assert flows.verify_second_factor(totp_user, typed).method == "totp"


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "   ",
        "abcdef",
        "12345",
        "1234567",
        "١٢٣٤٥٦",
        "12345\x00",
        123456,
        b"123456",
        ["123456"],
        {"code": 1},
        "9" * 10_000,
        "\ud800" * 6,
    ],
)
def test_bad_input_is_refused_cleanly(totp_user, twostep_clock, bad):
    with pytest.raises(FlowError) as error:
        flows.verify_second_factor(totp_user, bad)
    assert error.value.code == "invalid_code"
    # The real code still works afterwards: nothing was consumed or broken.
    assert flows.verify_second_factor(totp_user, current_code(totp_user)).method == "totp"


def test_disable_needs_a_current_code(totp_user, twostep_clock):
    with pytest.raises(FlowError):
        totp_flows.disable_totp(totp_user, wrong_code(totp_user))
    assert flows.has_two_factor(totp_user)
    totp_flows.disable_totp(totp_user, current_code(totp_user))
    state = flows.two_factor_state(totp_user)
    assert state.enabled is False
    assert state.recovery_codes_remaining == 0


def test_disable_without_totp_is_not_enrolled(user):
    with pytest.raises(FlowError) as error:
        totp_flows.disable_totp(user, "123456")
    assert error.value.code == "not_enrolled"


class TestDjangoOtpCompatibility:
    def test_devices_for_user_lists_ours(self, totp_user):
        kinds = {type(d).__name__ for d in devices_for_user(totp_user)}
        assert kinds == {"TOTPDevice", "RecoveryCodeDevice"}

    def test_match_token_uses_our_verification_and_replay_guard(self, totp_user, twostep_clock):
        code = current_code(totp_user)
        device = match_token(totp_user, code)
        assert isinstance(device, TOTPDevice)
        assert match_token(totp_user, code) is None

    def test_persistent_id_round_trips(self, totp_user):
        device = TOTPDevice.objects.get(user=totp_user)
        assert Device.from_persistent_id(device.persistent_id) == device

    def test_otp_login_marks_the_session_verified(self, verified_client, totp_user):
        response = verified_client.get("/")
        assert response.context["verified"] is True

    def test_verify_is_allowed_reports_the_backoff(self, totp_user, twostep_clock, settings):
        settings.TWOSTEP_THROTTLE_FACTOR = 1
        device = TOTPDevice.objects.get(user=totp_user)
        assert device.verify_is_allowed() == (True, None)
        assert device.verify_token(wrong_code(totp_user)) is False
        allowed, details = device.verify_is_allowed()
        assert allowed is False and details["retry_after"] == 1
