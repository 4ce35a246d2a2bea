"""The error envelope: DRF's own errors under our URLs, hostile input, no secrets in logs."""

import json
import logging

import pytest
from rest_framework.test import APIClient

from django_twostep.errors import CATALOGUE
from django_twostep.methods.recovery_codes import flows as recovery_flows
from django_twostep.testing import TEST_PASSWORD, current_code, wrong_code
from tests.api.conftest import (
    LOGIN,
    LOGOUT,
    PASSWORD,
    REFRESH,
    TRIGGER,
    TWO_FACTOR,
    bearer,
    codes,
    error,
    otp_url,
    recovery_url,
)

pytestmark = pytest.mark.django_db


def assert_envelope(response, status=None):
    assert response["Content-Type"].startswith("application/"), response["Content-Type"]
    body = response.json()
    assert set(body) <= {"errors", "meta"} and body["errors"], body
    for item in body["errors"]:
        assert set(item) <= {"status", "code", "title", "detail", "source", "meta"}
        assert item["code"] in CATALOGUE, item
        assert item["status"] == str(response.status_code)
        assert isinstance(item["title"], str) and isinstance(item["detail"], str)
    if status is not None:
        assert response.status_code == status
    assert "no-store" in response["Cache-Control"]
    return body


# -- DRF's errors, in the envelope -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/nothing",
        "/api/v1/auth",
        "/api/v1/users/me",
        "/api/v1/users/me/otp/extra",
        "/api/v1/users/a%2Fb/otp",
        "/api/v1/mfa/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_paths_under_ours_are_404_in_the_envelope(api, path, method):
    response = getattr(api, method)(path)
    assert_envelope(response, 404)
    assert codes(response) == ["not_found"]


@pytest.mark.parametrize(
    "path", ["/api/v1/something-else", "/api/v1/", "/api/v1/me", "/api/v1/me/password/x"]
)
def test_every_unknown_path_under_the_include_is_the_json_404(api, db, path):
    for method in ("get", "post", "delete"):
        response = getattr(api, method)(path)
        assert response.status_code == 404, (method, path)
        assert codes(response) == ["not_found"]


def test_paths_outside_the_include_are_left_to_the_site(api, db):
    response = api.get("/api/v2/something-else")
    assert response.status_code == 404
    assert "errors" not in response.content.decode()


def test_a_site_path_before_the_include_still_answers(api, totp_user):
    # The example site's own endpoint sits under the same prefix, before the include.
    response = api.patch(PASSWORD, {}, format="json")
    assert response.status_code == 401 and codes(response) == ["not_authenticated"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LOGIN),
        ("put", LOGIN),
        ("get", TWO_FACTOR),
        ("get", REFRESH),
        ("get", LOGOUT),
        ("get", TRIGGER),
        ("put", "/api/v1/users/me/otp"),
        ("delete", "/api/v1/users/me/recovery-codes"),
    ],
)
def test_wrong_method_is_405_in_the_envelope(plain_api, method, url):
    response = getattr(plain_api, method)(url)
    assert_envelope(response, 405)
    assert codes(response) == ["method_not_allowed"]
    assert "Allow" in response


def test_unacceptable_accept_is_406_in_the_envelope(plain_api):
    response = plain_api.get(otp_url(), HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert json.loads(response.content)["errors"][0]["code"] == "not_acceptable"


def test_jsonapi_accept_is_served(plain_api):
    response = plain_api.get(otp_url(), HTTP_ACCEPT="application/vnd.api+json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.api+json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png"])
def test_unsupported_body_is_415_in_the_envelope(api, db, content_type):
    response = api.generic("POST", LOGIN, b"username=alice", content_type)
    assert_envelope(response, 415)
    assert codes(response) == ["unsupported_media_type"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{"),
        ("application/json", b'{"username": "alice",}'),
        ("application/json", b"\xff\xfe\xfa"),
        ("application/json", b'{"username": NaN}'),
        ("application/json", b"[" * 100_000),
        ("application/vnd.api+json", b"{nope"),
    ],
)
def test_unparseable_body_is_parse_error(api, db, content_type, body):
    response = api.generic("POST", LOGIN, body, content_type)
    assert_envelope(response, 400)
    assert codes(response) == ["parse_error"]


def test_a_host_drf_view_keeps_drfs_own_errors(api, db, settings):
    settings.ROOT_URLCONF = "tests.api.urls"
    response = api.post("/host/echo", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    response = api.post("/host/echo", b"{", content_type="application/json")
    assert response.status_code == 400 and "errors" not in response.json()
    # While ours answer in the envelope on the same site.
    assert codes(api.post(LOGIN, b"{", content_type="application/json")) == ["parse_error"]


def test_drf_throttling_under_our_views_is_too_many_attempts(api, db, settings):
    from unittest import mock

    from rest_framework.throttling import BaseThrottle

    class Always(BaseThrottle):
        def allow_request(self, request, view):
            return False

        def wait(self):
            return 2.2

    with mock.patch("rest_framework.views.APIView.get_throttles", return_value=[Always()]):
        response = api.post(LOGIN, {"username": "x", "password": "y"}, format="json")
    assert_envelope(response, 429)
    assert codes(response) == ["too_many_attempts"] and response["Retry-After"] == "3"


def test_every_answer_is_no_store(plain_api, api):
    for response in (
        plain_api.get(otp_url()),
        plain_api.get(recovery_url()),
        api.post(LOGIN, {}, format="json"),
        api.get("/api/v1/auth/nothing"),
    ):
        assert "no-store" in response["Cache-Control"]


# -- hostile input ------------------------------------------------------------------------

HOSTILE_VALUES = [
    None,
    True,
    0,
    -1,
    1e308,
    [],
    ["123456"],
    {},
    {"$gt": ""},
    "",
    " ",
    "x" * 100_000,
    "\ud800",
    "\udfff\ud800",
    "\x00",
    "12\x003456",
    "é" * 70,
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
    "' OR 1=1 --",
    "../../etc/passwd",
]
HOSTILE_BODIES = [
    [],
    [1, 2],
    "a string",
    42,
    None,
    {"data": None},
    {"data": {"attributes": None}},
    {"data": {"attributes": []}},
    {"data": {"attributes": {"data": {"attributes": {}}}}},
]
FIELDS = [
    "username",
    "password",
    "code",
    "auth_token",
    "two_factor_id",
    "method",
    "refresh_token",
    "type",
    "new_password",
]


def _endpoints():
    return [
        ("post", LOGIN),
        ("post", TWO_FACTOR),
        ("post", TWO_FACTOR + "/send"),
        ("post", REFRESH),
        ("post", LOGOUT),
        ("get", otp_url()),
        ("post", otp_url()),
        ("patch", otp_url()),
        ("delete", otp_url()),
        ("get", recovery_url()),
        ("post", recovery_url()),
        ("post", TRIGGER),
        ("post", "/api/v1/users/me/email-otp"),
        ("patch", "/api/v1/users/me/email-otp"),
        ("delete", "/api/v1/users/me/email-otp"),
        ("patch", PASSWORD),
    ]


@pytest.mark.parametrize(("method", "url"), _endpoints())
def test_hostile_input_never_gives_a_500(totp_user, twostep_clock, method, url, settings):
    settings.TWOSTEP_THROTTLE_FACTOR = 0
    from django_twostep.flows import tokens

    issued = tokens.issue_tokens(totp_user, verified_at=None)
    client = bearer(APIClient(raise_request_exception=False), issued.access_token)
    anonymous = APIClient(raise_request_exception=False)
    bodies = list(HOSTILE_BODIES)
    for field in FIELDS:
        for value in HOSTILE_VALUES:
            bodies.append({field: value})
            bodies.append({"data": {"type": "x", "attributes": {field: value}}})
    bodies.append({name: value for name, value in zip(FIELDS, HOSTILE_VALUES, strict=False)})
    bodies.append({"username": "alice", "password": TEST_PASSWORD, "code": "\ud800"})
    nested = "[" * 5000 + "]" * 5000
    for who in (client, anonymous):
        for body in bodies:
            raw = json.dumps(body)
            for content_type in ("application/json", "application/vnd.api+json"):
                response = who.generic(method.upper(), url, raw, content_type)
                assert response.status_code < 500, (body, response.content)
                if response.status_code >= 400:
                    assert_envelope(response)
        response = who.generic(method.upper(), url, nested, "application/json")
        assert response.status_code < 500
        if response.status_code >= 400:
            assert_envelope(response)
        for header in ("HTTP_X_OTP", "HTTP_X_MFA_CODE"):
            for value in ("", "x" * 10_000, "é", "123456\r\n"):
                response = who.generic(
                    method.upper(), url, "{}", "application/json", **{header: value}
                )
                assert response.status_code < 500


@pytest.mark.parametrize(
    "username", ["%ED%A0%80", "%00", "x" * 3000, "%FF%FE", "..", "%2e%2e", "me%00", "%F0%9F%98%80"]
)
def test_hostile_usernames_in_paths(plain_api, username):
    for method in ("get", "post", "patch", "delete"):
        response = getattr(plain_api, method)(f"/api/v1/users/{username}/otp")
        assert response.status_code in (403, 404), (username, response.content)
        assert_envelope(response)


# -- no secrets in logs --------------------------------------------------------------------


def test_no_token_code_or_challenge_id_in_any_log_record(api, totp_user, twostep_clock, caplog):
    caplog.set_level(logging.DEBUG)
    secrets_seen = []

    challenge = api.post(LOGIN, {"username": "alice", "password": TEST_PASSWORD}, format="json")
    two_factor_id = challenge.json()["meta"]["two_factor_id"]
    bad = wrong_code(totp_user)
    api.post(TWO_FACTOR, {"two_factor_id": two_factor_id, "code": bad}, format="json")
    twostep_clock.advance(1)
    code = current_code(totp_user)
    payload = api.post(
        TWO_FACTOR, {"two_factor_id": two_factor_id, "code": code}, format="json"
    ).json()
    client = bearer(APIClient(), payload["access_token"])
    recovery = client.post(recovery_url()).json()["codes"]
    api.post(REFRESH, {"refresh_token": payload["refresh_token"]}, format="json")
    api.post(REFRESH, {"refresh_token": payload["refresh_token"]}, format="json")  # reuse
    twostep_clock.advance(30)
    secret = APIClient()
    second = secret.post(
        LOGIN,
        {"username": "alice", "password": TEST_PASSWORD, "code": recovery[0]},
        format="json",
    ).json()
    bearer(secret, second["access_token"])
    mfa = current_code(totp_user)
    secret.patch(
        PASSWORD,
        {"password": TEST_PASSWORD, "new_password": "some new passphrase"},
        format="json",
        HTTP_X_MFA_CODE=mfa,
    )
    recovery_flows.generate_recovery_codes(totp_user)

    secrets_seen = [
        two_factor_id,
        bad,
        code,
        mfa,
        recovery[0],
        recovery[0].replace("-", ""),
        TEST_PASSWORD,
        payload["access_token"],
        payload["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    ]
    assert len(caplog.records) > 5
    text = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in caplog.records
    )
    for value in secrets_seen:
        assert value not in text, value
    assert "refresh token reused" in text


def test_error_answers_never_echo_what_was_sent(api, totp_user):
    value = "s3cr3t-looking-value-" + "x" * 20
    for body in (
        {"username": value, "password": value},
        {"username": "alice", "password": TEST_PASSWORD, "code": value},
        {"username": "alice", "password": value * 200},
    ):
        response = api.post(LOGIN, body, format="json")
        assert value not in response.content.decode()
    response = api.post(
        LOGIN, b'{"password": "' + value.encode() + b'"', content_type="application/json"
    )
    assert value not in response.content.decode()


def test_error_titles_come_from_the_catalogue(api, db):
    response = api.post(LOGIN, {"username": "nobody", "password": "x"}, format="json")
    item = error(response)
    spec = CATALOGUE["invalid_credentials"]
    assert (item["title"], item["detail"]) == (str(spec.title), str(spec.detail))
