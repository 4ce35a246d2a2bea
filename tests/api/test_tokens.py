"""Bearer tokens: authentication, expiry, refresh rotation and reuse, logout, revocation."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from django_twostep import clock, signals
from django_twostep.api.authentication import BearerTokenAuthentication
from django_twostep.flows import tokens
from django_twostep.models import ApiToken, SecurityEvent
from django_twostep.testing import TEST_PASSWORD
from tests.api.conftest import LOGOUT, PASSWORD, REFRESH, bearer, codes, error, login, otp_url

pytestmark = pytest.mark.django_db


def refresh(refresh_token, kind="json"):
    if kind == "form":
        return APIClient().post(REFRESH, {"refresh_token": refresh_token}, format=None)
    return APIClient().post(REFRESH, {"refresh_token": refresh_token}, format="json")


def works(access_token) -> bool:
    response = bearer(APIClient(), access_token).get(otp_url())
    assert response.status_code in (200, 401), response.content
    if response.status_code == 401:
        assert codes(response) == ["not_authenticated"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    return response.status_code == 200


# -- authentication ----------------------------------------------------------------


def test_tokens_are_stored_only_as_digests(plain_tokens):
    row = repr(list(ApiToken.objects.values()))
    assert plain_tokens["access_token"] not in row
    assert plain_tokens["refresh_token"] not in row


def test_tokens_have_at_least_256_bits(plain_tokens):
    import base64

    for key in ("access_token", "refresh_token"):
        raw = base64.urlsafe_b64decode(plain_tokens[key] + "=" * (-len(plain_tokens[key]) % 4))
        assert len(raw) >= 32


def test_access_token_works_until_it_expires(plain_tokens, twostep_clock):
    assert works(plain_tokens["access_token"])
    twostep_clock.advance(3599)
    assert works(plain_tokens["access_token"])
    twostep_clock.advance(1)
    assert not works(plain_tokens["access_token"])


def test_access_token_lifetime_is_a_setting(plain_user, settings, twostep_clock):
    settings.TWOSTEP_ACCESS_TOKEN_TTL = 60
    payload = login(plain_user, with_code=False)
    assert payload["expires_in"] == 60
    twostep_clock.advance(60)
    assert not works(payload["access_token"])


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer not-a-token",
        "Bearer a b",
        "Bearer " + "x" * 5000,
        "Bearer é",
        "Token abc",
        "Basic YWxpY2U6cHc=",
    ],
)
def test_missing_or_bad_token_is_401_with_www_authenticate(plain_tokens, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(otp_url())
    assert response.status_code == 401
    assert codes(response) == ["not_authenticated"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_refresh_token_is_not_an_access_token(plain_tokens):
    assert not works(plain_tokens["refresh_token"])


def test_scheme_is_case_insensitive(plain_tokens):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {plain_tokens['access_token']}")
    assert client.get(otp_url()).status_code == 200


def test_authentication_costs_exactly_one_query(plain_tokens, django_assert_num_queries):
    request = APIRequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {plain_tokens['access_token']}"
    )
    with django_assert_num_queries(1):
        user, token = BearerTokenAuthentication().authenticate(
            APIView().initialize_request(request)
        )
        assert user.get_username() == "bob" and token.user_id == user.pk


@pytest.mark.urls("tests.api.urls")
def test_an_authenticated_request_costs_one_query(plain_tokens, django_assert_num_queries):
    client = bearer(APIClient(), plain_tokens["access_token"])
    with django_assert_num_queries(1):
        response = client.get("/host/whoami")
    assert response.json() == {"user": "bob", "verified": False}


@pytest.mark.urls("tests.api.urls")
def test_is_verified_tells_a_token_from_a_two_factor_login(totp_api):
    assert totp_api.get("/host/whoami").json() == {"user": "alice", "verified": True}


def test_malformed_tokens_cost_no_query(django_assert_num_queries, db):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION="Bearer " + "!" * 40)
    from rest_framework.exceptions import AuthenticationFailed

    with django_assert_num_queries(0), pytest.raises(AuthenticationFailed):
        BearerTokenAuthentication().authenticate(APIView().initialize_request(request))


def test_inactive_user_token_stops_working(plain_user, plain_tokens):
    plain_user.is_active = False
    plain_user.save()
    assert not works(plain_tokens["access_token"])
    assert codes(refresh(plain_tokens["refresh_token"])) == ["invalid_grant"]


# -- refresh ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "form"])
def test_refresh_rotates_the_pair(plain_tokens, kind, twostep_clock):
    response = refresh(plain_tokens["refresh_token"], kind)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new = response.json()
    assert new["token_type"] == "Bearer" and new["expires_in"] == 3600
    assert new["access_token"] != plain_tokens["access_token"]
    assert new["refresh_token"] != plain_tokens["refresh_token"]
    assert works(new["access_token"])
    # The parent pair is spent: its access token stops too.
    assert not works(plain_tokens["access_token"])
    assert ApiToken.objects.filter(family=ApiToken.objects.first().family).count() == 2


def test_refresh_gives_a_fresh_access_lifetime(plain_tokens, twostep_clock):
    twostep_clock.advance(3500)
    new = refresh(plain_tokens["refresh_token"]).json()
    twostep_clock.advance(3500)
    assert works(new["access_token"])


def test_reusing_a_refresh_token_revokes_the_whole_family(plain_tokens, plain_user):
    first = refresh(plain_tokens["refresh_token"]).json()
    second = refresh(first["refresh_token"]).json()
    other_login = login(plain_user, with_code=False)
    assert works(second["access_token"])

    reused = refresh(plain_tokens["refresh_token"])
    assert reused.status_code == 400 and codes(reused) == ["invalid_grant"]
    assert error(reused)["source"] == {"parameter": "refresh_token"}
    # Every pair of that login is dead, access tokens included...
    assert not works(second["access_token"])
    assert codes(refresh(second["refresh_token"])) == ["invalid_grant"]
    assert (
        ApiToken.objects.filter(family=ApiToken.objects.first().family)
        .filter(revoked_at__isnull=True)
        .count()
        == 0
    )
    # ...and another login of the same user is untouched.
    assert works(other_login["access_token"])


def test_a_reused_refresh_token_is_a_security_event(plain_tokens, plain_user):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.refresh_token_reused.connect(receiver)
    try:
        refresh(plain_tokens["refresh_token"])
        assert not SecurityEvent.objects.filter(event="refresh_token_reused").exists()
        refresh(plain_tokens["refresh_token"])  # spent: a thief, or a broken client
    finally:
        signals.refresh_token_reused.disconnect(receiver)
    event = SecurityEvent.objects.get(event="refresh_token_reused")
    assert event.user == plain_user and event.ip == "127.0.0.1"
    assert [r["user"] for r in received] == [plain_user]
    # Presented again, the family already revoked: refused and logged, no new event.
    assert codes(refresh(plain_tokens["refresh_token"])) == ["invalid_grant"]
    assert SecurityEvent.objects.filter(event="refresh_token_reused").count() == 1
    # The user sees it among their recent security activity.
    client = Client()
    client.force_login(plain_user)
    page = client.get(reverse("twostep:settings")).content.decode()
    assert "sign-in token came back" in page


def test_refresh_token_expires(plain_tokens, twostep_clock):
    twostep_clock.advance(14 * 24 * 3600)
    assert codes(refresh(plain_tokens["refresh_token"])) == ["invalid_grant"]


@pytest.mark.parametrize("value", ["unknown", "x" * 150, "é" * 10])
def test_unknown_refresh_token_is_invalid_grant(db, value):
    response = refresh(value)
    assert response.status_code == 400 and codes(response) == ["invalid_grant"]


@pytest.mark.parametrize("body", [{}, {"refresh_token": None}, {"refresh_token": 12}])
def test_malformed_refresh_is_a_validation_error(db, body):
    response = APIClient().post(REFRESH, body, format="json")
    assert response.status_code == 400 and codes(response) == ["validation_error"]
    assert error(response)["source"] == {"pointer": "/refresh_token"}


def test_refreshed_token_keeps_its_parents_verification_time(totp_user, twostep_clock):
    payload = login(totp_user)
    verified_at = ApiToken.objects.get().verified_at
    twostep_clock.advance(1000)
    new = refresh(payload["refresh_token"]).json()
    row = ApiToken.objects.get(rotated_at__isnull=True)
    assert row.verified_at == verified_at
    # So refreshing does not restart the step-up grace: 1800 s after the login it is over.
    twostep_clock.advance(800)
    client = bearer(APIClient(), new["access_token"])
    change = {"password": TEST_PASSWORD, "new_password": "another long passphrase"}
    assert codes(client.patch(PASSWORD, change, format="json")) == ["mfa_code_missing"]


def test_refresh_of_an_unverified_token_stays_unverified(plain_tokens):
    refresh(plain_tokens["refresh_token"])
    assert ApiToken.objects.get(rotated_at__isnull=True).verified_at is None


# -- logout and revocation -------------------------------------------------------------


def test_logout_revokes_the_presented_token(plain_tokens, plain_user):
    other = login(plain_user, with_code=False)
    client = bearer(APIClient(), plain_tokens["access_token"])
    response = client.post(LOGOUT)
    assert response.status_code == 204 and response.content == b""
    assert not works(plain_tokens["access_token"])
    assert codes(refresh(plain_tokens["refresh_token"])) == ["invalid_grant"]
    assert works(other["access_token"])
    again = client.post(LOGOUT)
    assert again.status_code == 401 and codes(again) == ["not_authenticated"]


def test_logout_needs_a_token(db):
    response = APIClient().post(LOGOUT)
    assert response.status_code == 401 and codes(response) == ["not_authenticated"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tokens_survive_enabling_and_disabling_two_factor(plain_user, plain_api, plain_tokens):
    from django_twostep.models import TOTPDevice
    from django_twostep.testing import totp_for

    secret = plain_api.post(otp_url()).json()["secret"]
    device = TOTPDevice.objects.get(user=plain_user)
    assert device.base32_key == secret
    assert (
        plain_api.patch(
            otp_url(), {"code": totp_for(device).at(clock.time())}, format="json"
        ).status_code
        == 204
    )
    assert works(plain_tokens["access_token"])

    code = totp_for(device).at(clock.time() + 30)
    response = plain_api.delete(otp_url(), {"code": code}, format="json")
    assert response.status_code == 204, response.content
    assert works(plain_tokens["access_token"])


def test_password_changed_elsewhere_stops_every_token(plain_user, plain_tokens):
    plain_user.set_password("changed in the admin")
    plain_user.save()
    assert not works(plain_tokens["access_token"])
    assert codes(refresh(plain_tokens["refresh_token"])) == ["invalid_grant"]


def test_revoke_user_tokens_revokes_all(plain_user, plain_tokens):
    other = login(plain_user, with_code=False)
    assert tokens.revoke_user_tokens(plain_user) == 2
    assert not works(plain_tokens["access_token"]) and not works(other["access_token"])


def test_cleanup_keeps_spent_tokens_until_their_refresh_expiry(plain_tokens, twostep_clock):
    """twostep_cleanup must not forget a spent refresh token while it could be reused."""
    from django_twostep.flows.maintenance import purge_expired

    twostep_clock.advance(3600)
    refresh(plain_tokens["refresh_token"])
    assert purge_expired().tokens == 0
    twostep_clock.advance(14 * 24 * 3600 - 3601)
    assert purge_expired().tokens == 0
    reused = refresh(plain_tokens["refresh_token"])  # still recognised: the family dies
    assert codes(reused) == ["invalid_grant"]
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    twostep_clock.advance(24 * 3600)
    assert purge_expired().tokens == 2


def test_twostep_reset_revokes_every_token(totp_user, twostep_clock):
    from django.core.management import call_command

    first = login(totp_user)
    twostep_clock.advance(30)
    second = login(totp_user)
    call_command("twostep_reset", "alice")
    assert not works(first["access_token"]) and not works(second["access_token"])
    assert codes(refresh(second["refresh_token"])) == ["invalid_grant"]
