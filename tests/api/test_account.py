"""users/{username}/...: the path names the caller (by name or `me`) or is forbidden."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import bearer, codes, login, otp_url, recovery_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_user(db, django_user_model):
    from django_twostep.testing import TEST_PASSWORD

    return django_user_model.objects.create_user("user@example.com", password=TEST_PASSWORD)


def test_url_encoded_username_and_me_are_the_caller(email_user, twostep_clock):
    client = bearer(APIClient(), login(email_user, with_code=False)["access_token"])
    for path in ("/api/v1/users/user%40example.com/otp", "/api/v1/users/user@example.com/otp"):
        assert client.get(path).status_code == 200
    assert client.get(otp_url("me")).status_code == 200
    assert client.get("/api/v1/users/user%40example.com/recovery-codes").status_code == 200


@pytest.mark.parametrize("target", ["alice", "nobody", "ALICE", "bob%2Fx", "%C3%A9"])
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_another_users_path_is_403_whether_or_not_they_exist(
    plain_api, totp_user, target, method, django_assert_max_num_queries
):
    response = getattr(plain_api, method)(f"/api/v1/users/{target}/otp")
    if target == "bob%2Fx":  # not a username at all: a path we do not have
        assert response.status_code == 404 and codes(response) == ["not_found"]
        return
    assert response.status_code == 403 and codes(response) == ["permission_denied"]


def test_same_answer_for_existing_and_missing_users(plain_api, totp_user):
    existing = plain_api.post(recovery_url("alice"))
    missing = plain_api.post(recovery_url("nobody"))
    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())


def test_account_paths_need_a_token(totp_user):
    for url in (otp_url(), otp_url("alice"), recovery_url()):
        response = APIClient().get(url)
        assert response.status_code == 401 and codes(response) == ["not_authenticated"]
