"""TwoStepMiddleware installs django-otp's ``otp_device`` and ``is_verified()``,
reading the device only when something asks."""

import io
import pickle

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_otp import DEVICE_ID_SESSION_KEY

from django_twostep import flows
from django_twostep.middleware import TwoStepMiddleware
from django_twostep.models import TOTPDevice
from django_twostep.testing import enroll_totp, log_in_on_two_pages, login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def device_queries(captured):
    """Queries that read a device (not the user's query, which may ask about one)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "django_twostep_totpdevice"')
    ]


@pytest.fixture
def verified_client(totp_user):
    client = Client()
    log_in_on_two_pages(client, totp_user)
    return client


def test_a_page_that_does_not_ask_reads_no_device(verified_client, totp_user):
    with CaptureQueriesContext(connection) as captured:
        response = verified_client.get("/whoami/")
    assert response.content.decode() == totp_user.username
    assert device_queries(captured) == []
    assert len(captured.captured_queries) == 2  # the session and the user


def test_asking_reads_the_device_once(verified_client, totp_user):
    device = TOTPDevice.objects.get(user=totp_user)
    with CaptureQueriesContext(connection) as captured:
        response = verified_client.get("/verified/")
    assert response.content.decode() == f"True {device!r}"
    assert len(device_queries(captured)) == 1
    assert verified_client.get("/otp-only/").status_code == 200


def test_an_anonymous_visit_loads_no_user_and_reads_no_session(client, monkeypatch):
    """Without a session nobody is logged in: the middleware neither loads Django's
    lazy user nor reads the session (which would make the answer vary on cookies)."""
    from django.contrib import auth

    loaded = []
    real_get_user = auth.get_user
    monkeypatch.setattr(
        auth, "get_user", lambda request: loaded.append(1) or real_get_user(request)
    )
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/plain/")
    assert response.content == b"plain"
    assert loaded == [] and captured.captured_queries == []
    assert "Cookie" not in response.get("Vary", "")
    # A page that asks still gets django-otp's answers for the anonymous visitor.
    assert client.get("/verified/").content.decode() == "False None"
    assert loaded == [1]


def test_a_user_set_by_another_middleware_is_still_judged(rf, django_user_model, settings):
    """Only Django's own lazy user over no session is taken for anonymous unseen: a
    user another middleware put on the request is loaded and the policy applies."""
    settings.TWOSTEP_REQUIRED = "staff"
    request = rf.get("/plain/")
    request.session = no_session(settings)  # as a header-authenticated API has
    request.user = django_user_model.objects.create_user("sam", password="pw", is_staff=True)
    middleware = TwoStepMiddleware(lambda request: HttpResponse("plain"))
    middleware.install_otp_accessors(request)
    request.resolver_match = resolve("/plain/")
    response = middleware.process_view(request, lambda request: None, (), {})
    assert response is not None and response.status_code == 302


# -- is_verified() on the user's own query (SPEC 6) -----------------------------------------


def no_session(settings):
    """The session of a request that came without a session cookie."""
    from importlib import import_module

    return import_module(settings.SESSION_ENGINE).SessionStore()


def asks(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get("/asks/").content.decode()
    return answer, len(captured.captured_queries)


def test_asking_costs_no_query_more_than_a_site_without_two_step_login(
    verified_client, totp_user, django_user_model
):
    plain = Client()
    plain.force_login(django_user_model.objects.create_user("pat", password="pw"))
    assert asks(plain) == ("pat False", 2)  # the session and the user, as Django alone
    assert asks(verified_client) == ("alice True", 2)


@pytest.mark.parametrize("how", ["removed", "unconfirmed", "reset"])
def test_the_answer_turns_at_once_when_the_device_goes(verified_client, totp_user, how):
    from django.core.management import call_command

    from django_twostep import clock
    from django_twostep.flows.changes import remove_method

    assert asks(verified_client)[0] == "alice True"
    if how == "removed":
        remove_method(totp_user, "totp", verified_at=clock.now())
    elif how == "unconfirmed":
        TOTPDevice.objects.filter(user=totp_user).update(confirmed=False)
    else:
        call_command("twostep_reset", "alice", stdout=io.StringIO())
    assert asks(verified_client)[0] == "alice False"
    assert DEVICE_ID_SESSION_KEY not in verified_client.session
    assert verified_client.get("/otp-only/").status_code == 302


def test_a_password_changed_elsewhere_still_logs_the_session_out(verified_client, totp_user):
    totp_user.set_password("changed elsewhere")
    totp_user.save()
    assert asks(verified_client)[0] == " False"  # anonymous
    assert "_auth_user_id" not in verified_client.session  # flushed, as Django does


def test_a_session_of_a_rotated_secret_key_is_kept_and_rekeyed(
    verified_client, totp_user, settings
):
    old_key = verified_client.cookies[settings.SESSION_COOKIE_NAME].value
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key " + "x" * 40
    assert asks(verified_client)[0] == "alice True"
    assert verified_client.cookies[settings.SESSION_COOKIE_NAME].value != old_key


def test_an_inactive_user_or_an_unlisted_backend_is_anonymous(verified_client, totp_user, settings):
    totp_user.is_active = False
    totp_user.save()
    assert asks(verified_client)[0] == " False"
    totp_user.is_active = True
    totp_user.save()
    other = login_verified(Client(), totp_user)
    assert asks(other)[0] == "alice True"
    settings.AUTHENTICATION_BACKENDS = ["tests.test_middleware_otp.OwnBackend"]
    assert asks(other)[0] == " False"


class OwnBackend(ModelBackend):
    """A backend that finds users its own way: Django's get_user() is used for it."""

    def get_user(self, user_id):
        return super().get_user(user_id)


def test_a_backend_of_its_own_gets_djangos_get_user_and_the_device_read_apart(
    client, totp_user, settings
):
    settings.AUTHENTICATION_BACKENDS = [
        "tests.test_middleware_otp.OwnBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    log_in_on_two_pages(client, totp_user)
    session = client.session
    session["_auth_user_backend"] = "tests.test_middleware_otp.OwnBackend"
    session.save()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/asks/").content.decode() == "alice True"
    assert len(device_queries(captured)) == 1


def test_a_verdict_read_for_one_request_is_not_reused_by_another(verified_client, totp_user, rf):
    """A backend may hand the user object of a verified request to another request
    (a cache): the verdict read with it stays with its request."""
    verified = rf.get("/")
    verified.session = verified_client.session
    AuthenticationMiddleware(lambda request: None).process_request(verified)
    TwoStepMiddleware.install_otp_accessors(verified)
    assert verified.user.is_verified() is True
    reused = verified.user._wrapped

    other = rf.get("/")
    other.session = Client().session  # a password-only session: never verified
    other.user = reused
    TwoStepMiddleware.install_otp_accessors(other)
    assert other.user.is_verified() is False
    assert (
        pickle.loads(pickle.dumps(reused)).__dict__.get("_twostep_session_device_verifies") is None
    )


def test_a_device_id_too_large_for_any_column_is_no_device(verified_client, totp_user):
    session = verified_client.session
    session[DEVICE_ID_SESSION_KEY] = "django_twostep.TOTPDevice/" + "9" * 30
    session.save()
    assert asks(verified_client)[0] == "alice False"


def test_a_user_another_middleware_left_for_djangos_lazy_user_is_judged(
    rf, django_user_model, settings
):
    """Django's lazy user answers request._cached_user when it is set (some
    authentication middleware set it): then it is somebody, and the policy applies."""
    settings.TWOSTEP_REQUIRED = "staff"
    request = rf.get("/plain/")
    request.session = no_session(settings)  # a header-authenticated request
    request._cached_user = django_user_model.objects.create_user(
        "sam", password="pw", is_staff=True
    )
    AuthenticationMiddleware(lambda request: None).process_request(request)
    middleware = TwoStepMiddleware(lambda request: HttpResponse("plain"))
    middleware.install_otp_accessors(request)
    request.resolver_match = resolve("/plain/")
    response = middleware.process_view(request, lambda request: None, (), {})
    assert response is not None and response.status_code == 302


def test_unverified_and_anonymous_sessions(client, totp_user):
    assert client.get("/verified/").content.decode() == "False None"
    assert client.get("/otp-only/").status_code == 302
    client.force_login(totp_user)  # password only: not verified
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/verified/").content.decode() == "False None"
    assert device_queries(captured) == []  # no device in the session: nothing to read
    assert client.get("/otp-only/").status_code == 302


def test_a_disabled_method_unverifies_every_session(verified_client, totp_user):
    other = login_verified(Client(), totp_user)
    TOTPDevice.objects.filter(user=totp_user).delete()
    for client in (verified_client, other):
        assert client.get("/verified/").content.decode() == "False None"
        assert DEVICE_ID_SESSION_KEY not in client.session  # the stale reference is dropped
        assert client.get("/otp-only/").status_code == 302


def test_a_device_of_someone_else_or_unconfirmed_does_not_verify(
    verified_client, totp_user, django_user_model
):
    intruder = django_user_model.objects.create_user("mallory", password="pw")
    enroll_totp(intruder)
    session = verified_client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=intruder).persistent_id
    session.save()
    assert verified_client.get("/verified/").content.decode() == "False None"

    log_in_on_two_pages(verified_client, totp_user)
    TOTPDevice.objects.filter(user=totp_user).update(confirmed=False)
    assert verified_client.get("/verified/").content.decode() == "False None"


def test_the_verdict_matches_django_otps_middleware(verified_client, totp_user, settings):
    ours = verified_client.get("/verified/").content
    settings.MIDDLEWARE = [
        "django_otp.middleware.OTPMiddleware" if m.endswith("TwoStepMiddleware") else m
        for m in settings.MIDDLEWARE
    ]
    assert verified_client.get("/verified/").content == ours


@pytest.mark.django_db(transaction=True)
def test_async_views_get_the_device_from_auser(totp_user):
    client = Client()
    assert client.get("/averified/").content.decode() == "False None"
    log_in_on_two_pages(client, totp_user)
    device = flows.active_devices(totp_user)[0]
    assert client.get("/averified/").content.decode() == f"True {device.pk}"


def test_a_pickled_user_keeps_its_verdict(verified_client, client, totp_user):
    assert verified_client.get("/pickled/").content == b"True"
    client.force_login(totp_user)
    assert client.get("/pickled/").content == b"False"


def test_a_device_left_on_a_reused_user_object_is_forgotten(totp_user, rf):
    """An authentication backend may hand the same user object to two requests."""
    device = TOTPDevice.objects.get(user=totp_user)
    totp_user.otp_device = device  # what an earlier, verified request left
    request = rf.get("/")
    request.session = Client().session  # a session that never passed a second factor
    request.user = totp_user
    TwoStepMiddleware.install_otp_accessors(request)
    assert request.user.is_verified() is False
    assert request.user.otp_device is None


def async_client_of(client):
    aclient = AsyncClient()
    aclient.cookies = client.cookies
    return aclient


@pytest.mark.django_db(transaction=True)
def test_the_middleware_runs_in_an_async_stack(totp_user):
    client = Client()
    log_in_on_two_pages(client, totp_user)
    device = flows.active_devices(totp_user)[0]
    aclient = async_client_of(client)
    assert async_to_sync(aclient.get)("/averified/").content.decode() == f"True {device.pk}"
    assert async_to_sync(aclient.get)("/whoami/").content.decode() == totp_user.username
    assert async_to_sync(aclient.get)("/otp-only/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_async_logout_unverifies_at_once(totp_user):
    client = Client()
    log_in_on_two_pages(client, totp_user)
    assert async_to_sync(async_client_of(client).get)("/alogged-out/").content == b"False"
