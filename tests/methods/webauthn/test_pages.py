"""Security keys and passkeys on the pages, with a software authenticator
(tests/webauthn_authenticator.py) standing in for the browser's script: the key
list (add, rename, remove with step-up), page 2 with a key, a passkey on page 1,
step-up with a key, and attacks through the page face (a replayed answer, another
user's key, a cloned key) refused.

What the script does in a real browser is tests/browser/test_webauthn.py's.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from django_twostep import flows, state
from django_twostep.models import SecurityEvent, WebAuthnChallenge, WebAuthnCredential
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified
from tests.pages import error_codes, message_tags, page1, url
from tests.test_templates import audit
from tests.webauthn_authenticator import SoftwareAuthenticator, tampered

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

GRACE = 1800
KEYS = "/accounts/two-factor/webauthn/"


def verify_url(next_url: str) -> str:
    return f"{url('verify')}?{urlencode({'next': next_url})}"


def options(client: Client, name: str, status: int = 200) -> dict:
    """What the page script gets from an options endpoint (POST, JSON)."""
    response = client.post(url(name))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.json()


def answer(credential: dict) -> str:
    """The hidden ``credential`` field as the script fills it in."""
    return json.dumps(credential)


def add_key(client: Client, key: SoftwareAuthenticator, name: str = "Blue key"):
    created = key.register(options(client, "webauthn-options"))
    return client.post(url("webauthn"), {"name": name, "credential": answer(created)})


def is_verified(client: Client) -> bool:
    return client.get("/verified/").content.decode().startswith("True")


@pytest.fixture
def key():
    return SoftwareAuthenticator()


@pytest.fixture
def key_user(plain_user, key, twostep_clock):
    """Bob, whose only method is a security key (a passkey), registered on the page."""
    client = Client()
    client.force_login(plain_user)
    assert add_key(client, key).status_code == 302
    twostep_clock.advance(60)
    return plain_user


def logged_in(user) -> Client:
    return login_verified(Client(), user)


# -- the list: adding the first key ---------------------------------------------------------


def test_the_first_key_turns_two_step_login_on_and_shows_recovery_codes(
    plain_user, key, twostep_clock
):
    client = Client()
    client.force_login(plain_user)
    page = client.get(KEYS)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert 'data-twostep-webauthn="create"' in html and "data-step-up" not in html
    audit(page)
    assert not WebAuthnChallenge.objects.exists()  # showing the page wrote nothing

    publickey = options(client, "webauthn-options")["publicKey"]
    assert publickey["rp"]["id"] == "testserver" and publickey["excludeCredentials"] == []
    created = key.register(publickey)
    response = client.post(KEYS, {"name": "Blue key", "credential": answer(created)})
    assert response.status_code == 302
    assert response["Location"] == f"{url('recovery-codes')}?{urlencode({'next': KEYS})}"
    assert "twostep-enabled" in message_tags(client.get(KEYS))

    credential = WebAuthnCredential.objects.get(user=plain_user)
    assert (credential.name, credential.discoverable) == ("Blue key", True)
    assert flows.active_methods(plain_user) == ["webauthn"]
    assert is_verified(client)  # the first method verifies the session, as TOTP's does
    codes = client.get(response["Location"])
    assert codes.status_code == 200 and len(codes.context["codes"]) == 10

    listed = client.get(KEYS)
    html = listed.content.decode()
    assert "Blue key" in html and 'data-discoverable="yes"' in html
    assert options(client, "webauthn-options")["publicKey"]["excludeCredentials"][0]["id"]
    audit(listed)


def test_a_key_without_a_name_gets_one_and_a_missing_answer_is_an_error(plain_user, key):
    client = Client()
    client.force_login(plain_user)
    missing = client.post(KEYS, {"name": "Blue key"})
    assert missing.status_code == 200
    assert error_codes(missing, None) == ["credential_missing"]
    audit(missing)
    assert add_key(client, key, name="").status_code == 302
    assert WebAuthnCredential.objects.get(user=plain_user).name == "Security key"


def test_a_bad_answer_or_the_same_key_twice_is_refused_on_the_page(key_user, key):
    client = logged_in(key_user)
    publickey = options(client, "webauthn-options")
    wrong_origin = SoftwareAuthenticator(origin="http://evil.example").register(publickey)
    refused = client.post(KEYS, {"credential": answer(wrong_origin)})
    assert refused.status_code == 200 and error_codes(refused, None) == ["invalid_credential"]
    garbage = client.post(KEYS, {"credential": "{not json"})
    assert error_codes(garbage, None) == ["invalid_credential"]

    again = key.register(options(client, "webauthn-options"), credential=key.credentials[0])
    twice = client.post(KEYS, {"credential": answer(again)})
    assert error_codes(twice, None) == ["credential_exists"]
    too_long = client.post(KEYS, {"name": "x" * 65, "credential": answer(again)})
    assert error_codes(too_long, "name") == ["max_length"]
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 1


def test_adding_a_second_method_needs_step_up(totp_user, key, twostep_clock):
    client = logged_in(totp_user)
    twostep_clock.advance(GRACE)
    page = client.get(KEYS)
    assert page.context["step_up_url"] == verify_url(KEYS)
    assert 'data-twostep-webauthn="create"' not in page.content.decode()
    audit(page)

    refused = options(client, "webauthn-options", status=403)
    assert refused["error"] == "mfa_code_missing" and refused["location"] == verify_url(KEYS)
    assert not WebAuthnChallenge.objects.exists()

    stepped = client.post(verify_url(KEYS), {"code": current_code(totp_user)})
    assert stepped["Location"] == KEYS
    response = add_key(client, key)
    assert response["Location"] == KEYS  # not the first method: no new recovery codes
    assert set(flows.active_methods(totp_user)) == {"totp", "webauthn"}

    # The grace runs out between the options and the answer: step up, come back.
    created = key.register(options(client, "webauthn-options"))
    twostep_clock.advance(GRACE)
    late = client.post(KEYS, {"name": "Spare", "credential": answer(created)})
    assert late["Location"] == verify_url(KEYS)


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(KEYS)["Location"].startswith(url("login"))
    assert options(client, "webauthn-options", status=401)["location"].startswith(url("login"))
    assert client.get(url("webauthn-options")).status_code == 405


@override_settings(
    TWOSTEP_METHODS=[
        "django_twostep.methods.totp.TOTPMethod",
        "django_twostep.methods.recovery_codes.RecoveryCodesMethod",
    ]
)
def test_the_pages_answer_404_when_the_method_is_not_configured(plain_user):
    client = Client()
    client.force_login(plain_user)
    assert client.get(KEYS).status_code == 404
    assert client.post(url("webauthn-options")).status_code == 404
    page = client.get(url("login"))
    assert 'autocomplete="username"' in page.content.decode()
    assert "Log in with a passkey" not in page.content.decode()


# -- the list: renaming and removing ---------------------------------------------------------


def test_renaming_a_key(key_user, django_user_model):
    client = logged_in(key_user)
    credential = WebAuthnCredential.objects.get(user=key_user)
    rename = url("webauthn-rename", pk=credential.pk)
    response = client.post(rename, {"name": "  Keyring  "})
    assert response["Location"] == KEYS
    credential.refresh_from_db()
    assert credential.name == "Keyring"
    assert "twostep-renamed" in message_tags(client.get(KEYS))

    for bad in ("", "x" * 65):
        client.post(rename, {"name": bad})
        assert "twostep-validation_error" in message_tags(client.get(KEYS))
    credential.refresh_from_db()
    assert credential.name == "Keyring"
    assert client.get(rename).status_code == 405

    # Somebody else's key: as if there were none.
    eve = django_user_model.objects.create_user("eve", password=TEST_PASSWORD)
    other = Client()
    other.force_login(eve)
    assert other.post(rename, {"name": "Mine now"}).status_code == 404
    assert other.post(url("webauthn-rename", pk=999999), {"name": "x"}).status_code == 404


def test_removing_a_key_needs_step_up_and_the_last_one_turns_the_method_off(
    key_user, key, twostep_clock
):
    client = logged_in(key_user)
    second = SoftwareAuthenticator()
    assert add_key(client, second, name="Spare").status_code == 302
    first, spare = WebAuthnCredential.objects.filter(user=key_user).order_by("pk")
    remove = url("webauthn-remove", pk=spare.pk)

    twostep_clock.advance(GRACE)
    response = client.get(remove)
    assert response["Location"] == verify_url(remove)
    assert client.post(remove)["Location"] == verify_url(remove)
    assert WebAuthnCredential.objects.filter(user=key_user).count() == 2

    # Step up with the first key on the step-up page, as the script would.
    publickey = options(client, "verify-webauthn")
    stepped = client.post(
        verify_url(remove), {"method": "webauthn", "credential": answer(key.assert_(publickey))}
    )
    assert stepped["Location"] == remove
    confirm = client.get(remove)
    assert confirm.status_code == 200 and "Spare" in confirm.content.decode()
    audit(confirm)
    done = client.post(remove)
    assert done["Location"] == KEYS
    assert "twostep-disabled" in message_tags(client.get(KEYS))
    assert list(WebAuthnCredential.objects.filter(user=key_user)) == [first]

    last = client.post(url("webauthn-remove", pk=first.pk))
    assert last["Location"] == KEYS
    assert last.cookies["twostep_trusted"]["max-age"] == 0  # the trusted browsers go too
    assert not flows.has_two_factor(key_user)
    assert client.get(KEYS).context["credentials"] == []


def test_nobody_removes_another_users_key(key_user, django_user_model):
    credential = WebAuthnCredential.objects.get(user=key_user)
    eve = django_user_model.objects.create_user("eve", password=TEST_PASSWORD)
    other = logged_in(eve)
    assert other.get(url("webauthn-remove", pk=credential.pk)).status_code == 404
    assert other.post(url("webauthn-remove", pk=credential.pk)).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_the_settings_card_links_to_the_keys(key_user, plain_user):
    html = logged_in(key_user).get(url("settings")).content.decode()
    assert f'href="{KEYS}"' in html and "Blue key" in html


# -- page 2 ------------------------------------------------------------------------------------


def start_login(user) -> Client:
    client = Client()
    response = page1(client, user.get_username())
    assert response["Location"] == url("login-code")
    return client


def key_login(client: Client, key: SoftwareAuthenticator, **extra):
    publickey = options(client, "login-code-webauthn")
    data = {"method": "webauthn", "credential": answer(key.assert_(publickey)), **extra}
    return client.post(url("login-code"), data)


def test_page_2_offers_the_key_first_and_a_key_logs_in(key_user, key):
    client = start_login(key_user)
    ceremonies = WebAuthnChallenge.objects.count()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("login-code"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-twostep-webauthn="get"' in html and "data-autostart" in html
    assert 'form="twostep-code-form"' in html and 'id="twostep-code-form"' in html
    assert 'name="code"' not in html  # a key alone: no code field, recovery codes a link away
    assert "?method=recovery" in html
    assert WebAuthnChallenge.objects.count() == ceremonies  # showing the page wrote nothing
    assert not [q for q in queries if "webauthn" in q["sql"].lower()]
    audit(page)

    publickey = options(client, "login-code-webauthn")["publicKey"]
    assert [c["id"] for c in publickey["allowCredentials"]] == [
        WebAuthnCredential.objects.get(user=key_user).credential_id
    ]
    assert client.session.get(SESSION_KEY) is None  # nobody is logged in yet
    answered = key.assert_(publickey)
    response = client.post(
        url("login-code"),
        {"method": "webauthn", "credential": answer(answered), "remember": "on"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert is_verified(client)
    assert client.get("/sensitive/").status_code == 200  # fresh for step-up too
    assert "twostep_trusted" in response.cookies
    assert WebAuthnCredential.objects.get(user=key_user).last_used_at is not None


def test_with_an_app_too_the_code_field_stays_below_the_key(totp_user, key, twostep_clock):
    client = logged_in(totp_user)
    add_key(client, key)
    twostep_clock.advance(60)
    pending = start_login(totp_user)
    html = pending.get(url("login-code")).content.decode()
    assert html.index("data-twostep-webauthn") < html.index('name="code"')
    assert "Open your authenticator app" in html
    # The code path is unchanged.
    response = pending.post(url("login-code"), {"code": current_code(totp_user)})
    assert response["Location"] == "/"

    other = start_login(totp_user)
    assert key_login(other, key)["Location"] == "/"


def test_no_autostart_after_a_refusal_or_a_message(key_user, key):
    client = start_login(key_user)
    publickey = options(client, "login-code-webauthn")
    refused = client.post(
        url("login-code"),
        {"method": "webauthn", "credential": answer(tampered(key.assert_(publickey)))},
    )
    assert refused.status_code == 200
    assert error_codes(refused, None) == ["invalid_credential"]
    assert "data-autostart" not in refused.content.decode()
    audit(refused)


def test_a_replayed_answer_and_another_users_key_are_refused_on_page_2(
    key_user, key, django_user_model, twostep_clock
):
    client = start_login(key_user)
    publickey = options(client, "login-code-webauthn")
    answered = key.assert_(publickey)
    data = {"method": "webauthn", "credential": answer(answered)}
    assert client.post(url("login-code"), data)["Location"] == "/"

    # The same answer again, in a new login: its challenge is spent.
    twostep_clock.advance(5)
    again = start_login(key_user)
    options(again, "login-code-webauthn")
    replay = again.post(url("login-code"), data)
    assert replay.status_code == 200 and error_codes(replay, None) == ["invalid_credential"]
    assert again.session.get(SESSION_KEY) is None

    # Eve's own key, answering Bob's login: a foreign credential.
    twostep_clock.advance(60)
    eve = django_user_model.objects.create_user("eve", password=TEST_PASSWORD)
    eves_key = SoftwareAuthenticator()
    add_key(logged_in(eve), eves_key)
    twostep_clock.advance(60)
    bobs = start_login(key_user)
    foreign = eves_key.assert_(options(bobs, "login-code-webauthn"))
    refused = bobs.post(url("login-code"), {"method": "webauthn", "credential": answer(foreign)})
    assert refused.status_code == 200 and error_codes(refused, None) == ["invalid_credential"]
    assert bobs.session.get(SESSION_KEY) is None


def test_a_cloned_key_is_refused_and_recorded(key_user, key):
    client = start_login(key_user)
    assert key_login(client, key)["Location"] == "/"
    key.credentials[-1].counter = 0  # a copy of the key, behind the original's counter
    clone = start_login(key_user)
    refused = key_login(clone, key)
    assert refused.status_code == 200 and error_codes(refused, None) == ["invalid_credential"]
    assert SecurityEvent.objects.filter(user=key_user, event="webauthn_counter_regressed").exists()


@override_settings(TWOSTEP_THROTTLE_FACTOR=0)
def test_wrong_answers_use_up_the_login(key_user, key):
    client = start_login(key_user)
    for _ in range(5):
        publickey = options(client, "login-code-webauthn")
        response = client.post(
            url("login-code"),
            {"method": "webauthn", "credential": answer(tampered(key.assert_(publickey)))},
        )
    assert response["Location"] == url("login")
    assert client.get(url("login")).context["notice"] == "attempts_exhausted"


def test_the_options_of_page_2_need_a_live_login(key_user, key, twostep_clock):
    assert options(Client(), "login-code-webauthn", status=401)["location"] == url("login")
    client = start_login(key_user)
    twostep_clock.advance(301)
    gone = options(client, "login-code-webauthn", status=401)
    assert gone["location"] == url("login")  # back to page 1, not page 2 (no loop)
    assert client.get(url("login")).context["notice"] == "two_factor_expired"


def test_page_2_refuses_a_ceremony_under_another_name(key_user, key):
    client = start_login(key_user)
    publickey = options(client, "login-code-webauthn")
    credential = answer(key.assert_(publickey))
    for method in ("totp", "", "nope"):
        response = client.post(url("login-code"), {"method": method, "credential": credential})
        assert error_codes(response, None) == ["validation_error"]


# -- page 1: a passkey alone ------------------------------------------------------------------


def test_page_1_offers_passkeys_without_writing_anything(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("login"))
    assert len(queries) == 0
    html = page.content.decode()
    assert 'autocomplete="username webauthn"' in html
    assert 'data-twostep-webauthn="passkey"' in html and "data-conditional" in html
    assert 'src="/static/django_twostep/webauthn.js"' in html
    audit(page)


def test_a_passkey_logs_in_verified_and_honours_next(key_user, key):
    client = Client()
    body = options(client, "login-passkey-options")
    assert body["passkey_id"] and body["publicKey"]["userVerification"] == "required"
    assert body["publicKey"].get("allowCredentials", []) == []
    answered = key.assert_(body["publicKey"])
    response = client.post(
        url("login-passkey"),
        {"passkey_id": body["passkey_id"], "credential": answer(answered), "next": "/sensitive/"},
    )
    assert response.status_code == 302 and response["Location"] == "/sensitive/"
    assert is_verified(client)
    assert client.get("/sensitive/").status_code == 200  # two factors, fresh: no step-up

    # The same answer again: refused, back on page 1 with a notice, nobody logged in.
    other = Client()
    replay = other.post(
        url("login-passkey"),
        {"passkey_id": body["passkey_id"], "credential": answer(answered), "next": "/sensitive/"},
    )
    assert replay["Location"] == f"{url('login')}?{urlencode({'next': '/sensitive/'})}"
    assert other.session.get(SESSION_KEY) is None
    page = other.get(replay["Location"])
    assert page.context["notice"] == "passkey_refused"
    assert "Your passkey could not be verified" in page.content.decode()
    audit(page)


def test_a_passkey_login_refuses_unsafe_next_and_bad_answers(key_user, key):
    client = Client()
    body = options(client, "login-passkey-options")
    response = client.post(
        url("login-passkey"),
        {
            "passkey_id": body["passkey_id"],
            "credential": answer(key.assert_(body["publicKey"])),
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"

    for data in (
        {},
        {"passkey_id": "x", "credential": "{"},
        {"passkey_id": "x" * 200, "credential": answer(key.assert_(body["publicKey"]))},
    ):
        fresh = Client()
        refused = fresh.post(url("login-passkey"), data)
        assert refused["Location"] == url("login")
        assert fresh.session.get(SESSION_KEY) is None
    assert Client().get(url("login-passkey")).status_code == 405


def test_a_passkey_of_a_key_that_is_not_discoverable_does_not_log_in(plain_user, twostep_clock):
    client = Client()
    client.force_login(plain_user)
    key = SoftwareAuthenticator()
    created = key.register(options(client, "webauthn-options"), resident=False)
    assert client.post(KEYS, {"credential": answer(created)}).status_code == 302
    twostep_clock.advance(60)
    visitor = Client()
    body = options(visitor, "login-passkey-options")
    response = visitor.post(
        url("login-passkey"),
        {"passkey_id": body["passkey_id"], "credential": answer(key.assert_(body["publicKey"]))},
    )
    assert response["Location"] == url("login")
    assert visitor.session.get(SESSION_KEY) is None


@override_settings(TWOSTEP_PASSKEY_LOGIN=False)
def test_passkey_login_can_be_turned_off(key_user, key, client):
    html = client.get(url("login")).content.decode()
    assert 'autocomplete="username"' in html and "webauthn" not in html
    assert "Log in with a passkey" not in html
    refused = options(client, "login-passkey-options", status=403)
    assert refused["error"] == "passkey_login_disabled"
    assert client.post(url("login-passkey"), {"passkey_id": "x"}).status_code == 403
    # A key still passes page 2.
    assert key_login(start_login(key_user), key)["Location"] == "/"


# -- step-up -------------------------------------------------------------------------------------


def test_a_key_steps_up(key_user, key, twostep_clock):
    client = logged_in(key_user)
    twostep_clock.advance(GRACE)
    target = verify_url("/sensitive/")
    assert client.get("/sensitive/")["Location"] == target
    page = client.get(target)
    html = page.content.decode()
    assert 'data-twostep-webauthn="get"' in html and "data-autostart" not in html
    assert 'id="twostep-verify-form"' in html and 'name="code"' not in html
    audit(page)
    recovery = client.get(url("verify") + "?method=recovery")
    assert 'name="code"' in recovery.content.decode()
    assert "data-twostep-webauthn" not in recovery.content.decode()

    publickey = options(client, "verify-webauthn")
    answered = answer(key.assert_(publickey))
    response = client.post(target, {"method": "webauthn", "credential": answered})
    assert response["Location"] == "/sensitive/"
    assert client.get("/sensitive/").status_code == 200

    twostep_clock.advance(GRACE)
    replay = client.post(target, {"method": "webauthn", "credential": answered})
    assert replay.status_code == 200 and error_codes(replay, None) == ["invalid_credential"]
    audit(replay)
    assert client.get("/sensitive/")["Location"] == target


def test_step_up_options_need_a_key_and_a_login(totp_user, client):
    assert options(client, "verify-webauthn", status=401)["location"].startswith(url("login"))
    app_only = logged_in(totp_user)
    assert options(app_only, "verify-webauthn", status=400)["error"] == "method_not_available"


def test_another_users_key_does_not_step_up(key_user, django_user_model, twostep_clock):
    eve = django_user_model.objects.create_user("eve", password=TEST_PASSWORD)
    eves_key = SoftwareAuthenticator()
    eves = logged_in(eve)
    add_key(eves, eves_key)
    client = logged_in(key_user)
    twostep_clock.advance(GRACE)
    publickey = options(client, "verify-webauthn")
    foreign = eves_key.assert_(publickey)
    response = client.post(url("verify"), {"method": "webauthn", "credential": answer(foreign)})
    assert error_codes(response, None) == ["invalid_credential"]
    assert state.VERIFIED_AT_KEY in client.session  # the old one, not renewed
    assert client.get("/sensitive/").status_code == 302
