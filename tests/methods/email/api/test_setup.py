"""The e-mail method's set-up through the API: users/{username}/email-otp.

Codes are read from Django's test outbox, as a person reads their mailbox.
"""

import json

import pytest
from django.core import mail
from rest_framework.test import APIClient

from django_twostep import clock, flows
from django_twostep.models import ApiToken
from tests.api.conftest import bearer, codes, error, last_emailed_code


def email_url(username: str = "me") -> str:
    return f"/api/v1/users/{username}/email-otp"


def test_enrol_by_confirming_the_address(plain_api, plain_user):
    response = plain_api.post(email_url())
    assert response.status_code == 202
    assert mail.outbox[-1].to == ["bob@example.com"]
    assert plain_api.get("/api/v1/users/me/otp").json()["pending"] is True
    response = plain_api.patch(email_url(), {"code": last_emailed_code()}, format="json")
    assert response.status_code == 204
    state = plain_api.get("/api/v1/users/me/otp").json()
    assert state["enabled"] is True and state["methods"] == ["email"]
    assert state["recovery_codes_remaining"] == 10
    # Confirming a method with this token verified it (step-up grace starts).
    assert ApiToken.objects.get(user=plain_user).verified_at == clock.now()


@pytest.mark.parametrize("kind", ["json", "jsonapi", "form"])
def test_confirm_accepts_every_body_format(plain_api, kind):
    plain_api.post(email_url())
    code = last_emailed_code()
    if kind == "jsonapi":
        body = {"data": {"type": "email-otp", "attributes": {"code": code}}}
        response = plain_api.patch(
            email_url(), json.dumps(body), content_type="application/vnd.api+json"
        )
    elif kind == "form":
        response = plain_api.patch(email_url(), {"code": code}, format="multipart")
    else:
        response = plain_api.patch(email_url(), {"code": code}, format="json")
    assert response.status_code == 204, response.content


def test_wrong_confirmation_code(plain_api, plain_user):
    plain_api.post(email_url())
    wrong = "000000" if last_emailed_code() != "000000" else "111111"
    response = plain_api.patch(email_url(), {"code": wrong}, format="json")
    assert response.status_code == 400 and codes(response) == ["invalid_code"]
    assert not flows.has_two_factor(plain_user)


def test_confirm_without_a_pending_method_is_not_enrolled(plain_api):
    response = plain_api.patch(email_url(), {"code": "123456"}, format="json")
    assert response.status_code == 409 and codes(response) == ["not_enrolled"]


def test_user_without_an_address_gets_method_not_available(plain_api, plain_user):
    plain_user.email = ""
    plain_user.save()
    response = plain_api.post(email_url())
    assert response.status_code == 400 and codes(response) == ["method_not_available"]
    assert not mail.outbox


def test_post_when_on_is_already_enabled(email_user, twostep_clock):
    from django_twostep import clock
    from django_twostep.flows import tokens

    issued = tokens.issue_tokens(email_user, verified_at=clock.now())
    api = bearer(APIClient(), issued.access_token)
    response = api.post(email_url())
    assert response.status_code == 409 and codes(response) == ["already_enabled"]


def test_resend_is_rate_limited_with_retry_after(plain_api, twostep_clock):
    assert plain_api.post(email_url()).status_code == 202
    twostep_clock.advance(12.5)
    response = plain_api.post(email_url())
    assert response.status_code == 429 and codes(response) == ["resend_too_soon"]
    assert response["Retry-After"] == "18"  # 17.5 s left, rounded up
    assert "sent" in error(response)["detail"] and "wrong" not in error(response)["detail"]
    assert len(mail.outbox) == 1


def test_delete_removes_the_method(email_user):
    from django_twostep import clock
    from django_twostep.flows import tokens

    issued = tokens.issue_tokens(email_user, verified_at=clock.now())  # within the grace
    api = bearer(APIClient(), issued.access_token)
    assert api.delete(email_url()).status_code == 204
    assert not flows.has_two_factor(email_user)
    response = api.delete(email_url())
    assert response.status_code == 409 and codes(response) == ["not_enrolled"]


def test_another_users_path_is_forbidden(plain_api, email_user):
    for username in ("erin", "nobody-at-all"):
        for method in ("post", "patch", "delete"):
            response = getattr(plain_api, method)(email_url(username))
            assert response.status_code == 403 and codes(response) == ["permission_denied"]
    assert flows.has_two_factor(email_user)
