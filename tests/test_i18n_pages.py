"""Every page, e-mail and API error in every language: nothing is left in English.

A walk goes through every page of django-twostep in its main states (the two
login pages with their errors, throttling and notices; settings with every
method off, half set up and on; set-up, disable, recovery codes with fresh codes,
e-mail set-up, step-up), reads the e-mails it makes django-twostep send and the
API's error envelopes, as a browser that asks for one language
(``Accept-Language``) would. Then, for each language:

- no msgid of the package's catalog appears in English in what was shown
  (placeholders match any value; both forms of a plural are looked for);
- run in English, the walk shows every msgid of the catalog but a short list
  (admin-only strings), so the walk really covers the package;
- a text that reads the same in English and in all five languages is a string
  nobody marked for translation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pyotp
import pytest
from django.apps import apps
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from django_twostep import flows
from django_twostep.api.exceptions import error_object
from django_twostep.clock import now as clock_now
from django_twostep.errors import CATALOGUE, FlowError
from django_twostep.flows.maintenance import reset_two_factor
from django_twostep.methods.base import Site
from django_twostep.methods.email import flows as email_flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.methods.webauthn import flows as webauthn_flows
from django_twostep.models import TOTPDevice, WebAuthnCredential
from django_twostep.testing import TEST_PASSWORD, current_code, login_verified, totp_for
from django_twostep.views import busy_response
from tests.pages import mailed_code
from tests.plugin_method import WITH_PIN, give_pin
from tests.po import LANGUAGES, PLACEHOLDER, messages
from tests.test_translations import SAME_AS_ENGLISH
from tests.webauthn_authenticator import SoftwareAuthenticator, tampered

pytestmark = pytest.mark.django_db

API = "/api/v1"


def field_texts() -> set[str]:
    """The verbose name and help text of every field of the package's models (the
    admin's column headers and form labels), in English."""
    with translation.override(None):
        return {
            str(text)
            for model in apps.get_app_config("django_twostep").get_models()
            for field in model._meta.concrete_fields
            if not field.auto_created
            for text in (field.verbose_name, field.help_text)
            if text
        }


# msgids that no page, e-mail or API answer shows: they appear in the admin only.
ADMIN_ONLY = {
    *field_texts(),
    "The COSE public key (public material).",
    "security keys",
    "security key challenge",
    "security key challenges",
    "Security key challenge #%(pk)s",
    "Reset two-step login (remove methods, revoke tokens)",
    "Reset %d user.",
    "The user that this device belongs to.",
    "The secret, encrypted (never shown here).",
    "Recovery code #%(pk)s (used)",
    "Recovery code #%(pk)s (unused)",
    "Pending login #%(pk)s",
    "Trusted browser #%(pk)s",
    "API token #%(pk)s",
    *(
        f"{name}{plural}"
        for name in (
            "TOTP device",
            "e-mail device",
            "e-mailed code",
            "recovery code set",
            "back-off record",
            "pending login",
            "trusted browser",
            "API token",
            "security event",
        )
        for plural in ("", "s")
    ),
    "recovery codes",
}

# Texts that read the same in every language because they are data, not words.
# PIN: the label of the test-only method (tests/plugin_method.py), not a package string.
DATA = re.compile(r"alice|bob|erin|nora|sam|\bPIN\b|example\.com|testserver|django-twostep demo")


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes and the readable attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.texts.append(value)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append(data)


def texts_of(response) -> list[str]:
    """What ``response`` shows, as a list of texts (whitespace collapsed)."""
    content_type = response["Content-Type"]
    body = response.content.decode()
    if content_type.startswith("text/html"):
        parser = VisibleText()
        parser.feed(body)
        texts = parser.texts
    elif "json" in content_type:
        texts = [
            str(error[key]) for error in json.loads(body)["errors"] for key in ("title", "detail")
        ]
    else:
        texts = body.splitlines()
    return [" ".join(text.split()) for text in texts if text.strip()]


def texts_of_mail(message) -> list[str]:
    parser = VisibleText()
    parser.feed(message.alternatives[0][0])
    texts = [message.subject, *message.body.splitlines(), *parser.texts]
    return [" ".join(text.split()) for text in texts if text.strip()]


def english_pattern(text: str) -> re.Pattern[str]:
    """A msgid as it appears once rendered: placeholders are any short value."""
    parts = PLACEHOLDER.split(text)
    body = r".{1,80}?".join(re.escape(" ".join(part.split())) for part in parts)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


class Walk:
    """One browser (and API client) going through the package in one language."""

    def __init__(self, language: str, clock, user_model) -> None:
        self.language = language
        self.clock = clock
        self.user_model = user_model
        self.pages: list[tuple[str, list[str]]] = []

    def client(self) -> Client:
        return Client(HTTP_ACCEPT_LANGUAGE=self.language)

    def see(self, label: str, response, status: int = 200) -> None:
        assert response.status_code == status, (label, response.status_code)
        self.pages.append((label, texts_of(response)))

    def see_mail(self, label: str) -> None:
        self.pages.append((label, texts_of_mail(mail.outbox[-1])))

    def user(self, name: str, *, email: str | None = None, **extra):
        return self.user_model.objects.create_user(
            name,
            email=f"{name}@example.com" if email is None else email,
            password=TEST_PASSWORD,
            **extra,
        )

    def page1(self, client: Client, user) -> None:
        response = client.post(
            "/accounts/login/", {"username": user.get_username(), "password": TEST_PASSWORD}
        )
        assert response["Location"] == "/accounts/login/code/", response

    def later(self, seconds: float = 31) -> None:
        self.clock.advance(seconds)

    # -- the walk --------------------------------------------------------------------

    def run(self) -> list[tuple[str, list[str]]]:
        self.anonymous()
        alice, recovery_codes = self.alice()
        self.login_pages(alice, recovery_codes)
        fresh = self.alice_manages(alice)
        bob = self.bob_sets_up()
        self.email_only()
        self.plugged_in()
        self.security_keys()
        self.policy_and_options(bob)
        self.api(bob)
        self.api_catalogue()
        self.busy()
        self.alice_turns_off(alice, fresh)
        return self.pages

    def anonymous(self) -> None:
        client = self.client()
        self.see("page 1", client.get("/accounts/login/"))
        wrong = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
        self.see("page 1: wrong password", wrong)

    def alice(self):
        """A user with an authenticator app and e-mail codes."""
        alice = self.user(f"alice-{self.language}")
        enrollment = totp_flows.begin_totp_setup(alice)
        activation = totp_flows.activate_totp(
            alice, totp_for(enrollment.device).at(self.clock.time())
        )
        stepped_up = clock_now()  # a second method is added after step-up
        email_flows.begin_email_setup(alice, verified_at=stepped_up)
        email_flows.confirm_email_setup(alice, mailed_code(), verified_at=stepped_up)
        self.later(61)
        return alice, list(activation.recovery_codes)

    def login_pages(self, alice, recovery_codes: list[str]) -> None:
        client = self.client()
        self.page1(client, alice)
        self.see("page 2", client.get("/accounts/login/code/"))
        self.see("page 2: recovery code", client.get("/accounts/login/code/?method=recovery"))
        sent = client.post("/accounts/login/code/email/", follow=True)
        self.see("page 2: code e-mailed", sent)
        self.see_mail("e-mail: login code")
        again = client.post("/accounts/login/code/email/", follow=True)
        self.see("page 2: e-mailed again too soon", again)
        wrong = "000000" if current_code(alice) != "000000" else "111111"
        self.see("page 2: wrong code", client.post("/accounts/login/code/", {"code": wrong}))
        self.see("page 2: waiting", client.get("/accounts/login/code/"))
        throttled = client.post("/accounts/login/code/", {"code": current_code(alice)})
        self.see("page 2: throttled", throttled, status=429)
        # Four more wrong codes (waiting out the back-off each time) burn the login.
        for wait in (2, 4, 8, 16):
            self.later(wait)
            response = client.post("/accounts/login/code/", {"code": wrong})
        self.see("page 1: too many wrong codes", client.get(response["Location"]))

        self.later(61)
        self.page1(client, alice)
        self.later(301)
        expired = client.get("/accounts/login/code/", follow=True)
        self.see("page 1: login expired", expired)

        # Logins that fill the activity table: with a code (trusting the browser),
        # through that trusted browser, and with a recovery code.
        trusted = self.client()
        self.page1(trusted, alice)
        trusted.post("/accounts/login/code/", {"code": current_code(alice), "remember": "on"})
        trusted.post("/accounts/logout/")
        self.later()
        trusted.post(
            "/accounts/login/", {"username": alice.get_username(), "password": TEST_PASSWORD}
        )
        assert flows.trust.trusted_browsers(alice)[0].last_used_at is not None
        other = self.client()
        self.page1(other, alice)
        other.post("/accounts/login/code/", {"code": recovery_codes[0]})
        # The code of a login a moment ago, typed again in another browser.
        used = current_code(alice)
        first, again = self.client(), self.client()
        self.page1(first, alice)
        first.post("/accounts/login/code/", {"code": used})
        self.page1(again, alice)
        replayed = again.post("/accounts/login/code/", {"code": used})
        self.see("page 2: a code used already", replayed)

    def alice_manages(self, alice) -> Client:
        """Settings with everything on, step-up, disable, recovery codes."""
        self.later()
        client = self.client()
        self.page1(client, alice)
        client.post("/accounts/login/code/", {"code": current_code(alice), "remember": "on"})
        # An app of hers presents a spent refresh token: her activity says so.
        issued = flows.tokens.issue_tokens(alice)
        flows.tokens.refresh_tokens(issued.refresh_token)
        with pytest.raises(FlowError):
            flows.tokens.refresh_tokens(issued.refresh_token)
        self.see("settings: everything on", client.get("/accounts/two-factor/"))
        self.see(
            "totp set-up: already on", client.get("/accounts/two-factor/totp/setup/", follow=True)
        )
        self.see("verify", client.get("/accounts/two-factor/verify/?next=/password/"))
        self.see(
            "verify: recovery code", client.get("/accounts/two-factor/verify/?method=recovery")
        )
        self.later()
        sent = client.post(
            "/accounts/two-factor/verify/email/", {"next": "/password/"}, follow=True
        )
        self.see("verify: code e-mailed", sent)
        self.see_mail("e-mail: step-up code")
        self.see("disable", client.get("/accounts/two-factor/totp/disable/"))
        wrong = client.post("/accounts/two-factor/totp/disable/", {"code": "000000x"})
        self.see("disable: wrong code", wrong)
        self.see("recovery codes", client.get("/accounts/two-factor/recovery-codes/"))
        unconfirmed = client.post("/accounts/two-factor/recovery-codes/", {})
        self.see("recovery codes: not confirmed", unconfirmed)
        self.later(4)
        fresh = client.post("/accounts/two-factor/recovery-codes/", {"confirm": "on"}, follow=True)
        self.see("recovery codes: a new set", fresh)
        download = client.get("/accounts/two-factor/recovery-codes/download/")
        self.see("recovery codes: the text file", download)
        self.see("e-mail codes: on", client.get("/accounts/two-factor/email/setup/"))
        forget = client.post("/accounts/two-factor/trusted-browsers/forget/", follow=True)
        self.see("settings: browsers forgotten", forget)
        return client

    def bob_sets_up(self):
        """A user with no method sets up an authenticator app and e-mail codes."""
        bob = self.user(f"bob-{self.language}")
        client = self.client()
        client.force_login(bob)
        self.see("settings: nothing on", client.get("/accounts/two-factor/"))
        self.see("recovery codes: no method", client.get("/accounts/two-factor/recovery-codes/"))
        self.see("totp set-up", client.get("/accounts/two-factor/totp/setup/"))
        self.see("settings: set-up started", client.get("/accounts/two-factor/"))
        self.see(
            "totp set-up: wrong code",
            client.post("/accounts/two-factor/totp/setup/", {"code": "12"}),
        )
        restart = client.post("/accounts/two-factor/totp/setup/", {"restart": "1"}, follow=True)
        self.see("totp set-up: a new key", restart)
        self.later(2)
        device = totp_flows.pending_totp(bob).device
        code = pyotp.TOTP(device.base32_key).at(self.clock.time())
        activated = client.post("/accounts/two-factor/totp/setup/", {"code": code}, follow=True)
        self.see("recovery codes: after set-up", activated)
        self.see("disable: app only", client.get("/accounts/two-factor/totp/disable/"))

        self.see("e-mail set-up", client.get("/accounts/two-factor/email/setup/"))
        sent = client.post("/accounts/two-factor/email/setup/", {"send": "1"}, follow=True)
        self.see("e-mail set-up: code sent", sent)
        self.see_mail("e-mail: set-up code")
        self.later(3)
        wrong = "000000" if mailed_code() != "000000" else "111111"
        wrong_page = client.post("/accounts/two-factor/email/setup/", {"code": wrong})
        self.see("e-mail set-up: wrong code", wrong_page)
        self.later(3)
        confirmed = client.post(
            "/accounts/two-factor/email/setup/", {"code": mailed_code()}, follow=True
        )
        self.see("e-mail set-up: confirmed", confirmed)

        nora = self.user(f"nora-{self.language}", email="")
        client = self.client()
        client.force_login(nora)
        self.see("e-mail set-up: no address", client.get("/accounts/two-factor/email/setup/"))
        reset_two_factor(nora)
        self.see("settings: after an admin reset", client.get("/accounts/two-factor/"))
        self.later()
        return bob

    def email_only(self) -> None:
        erin = self.user(f"erin-{self.language}")
        email_flows.begin_email_setup(erin)
        email_flows.confirm_email_setup(erin, mailed_code())
        self.later(61)
        client = self.client()
        self.page1(client, erin)
        self.see("page 2: e-mail only", client.get("/accounts/login/code/"))
        recovery = client.get("/accounts/login/code/?method=recovery")
        self.see("page 2: e-mail only, recovery code", recovery)
        verified = login_verified(self.client(), erin)
        self.see("verify: e-mail only", verified.get("/accounts/two-factor/verify/"))

    def plugged_in(self) -> None:
        """A method of the site's own (the test-only PIN): the shared templates show it."""
        pat = self.user(f"pat-{self.language}")
        give_pin(pat, "48151623")
        with override_settings(TWOSTEP_METHODS=WITH_PIN):
            client = self.client()
            self.page1(client, pat)
            self.see("page 2: a plugged-in method", client.get("/accounts/login/code/"))
            recovery = client.get("/accounts/login/code/?method=recovery")
            self.see("page 2: a plugged-in method, recovery code", recovery)
            verified = login_verified(self.client(), pat)
            self.see("verify: a plugged-in method", verified.get("/accounts/two-factor/verify/"))
            self.see("settings: a plugged-in method", verified.get("/accounts/two-factor/"))
            remove = "/accounts/two-factor/methods/pin/remove/"
            self.see("remove a plugged-in method", verified.get(remove))
            self.see("settings: method removed", verified.post(remove, follow=True))

    def security_keys(self) -> None:
        """A user with a security key: its card, the way back from the recovery field,
        and a cloned key refused on the activity list."""
        kim = self.user(f"kim-{self.language}")
        key = SoftwareAuthenticator()
        site = Site("testserver", "http://testserver")
        rp = webauthn_flows.relying_party(site)
        with translation.override(self.language):  # the default name, in her language
            options = webauthn_flows.begin_registration(kim, rp)
            webauthn_flows.complete_registration(kim, rp, key.register({"publicKey": options}))
        options = flows.begin_step_up_ceremony(kim, "webauthn", site)
        flows.verify_step_up(kim, method="webauthn", response=key.assert_(options), site=site)
        key.credentials[-1].counter = 0  # the next answer repeats the counter: a clone
        options = flows.begin_step_up_ceremony(kim, "webauthn", site)
        with pytest.raises(FlowError):
            flows.verify_step_up(kim, method="webauthn", response=key.assert_(options), site=site)
        self.later(2)
        client = self.client()
        self.page1(client, kim)
        self.see("page 2: a security key", client.get("/accounts/login/code/"))
        recovery = client.get("/accounts/login/code/?method=recovery")
        self.see("page 2: a security key, recovery code", recovery)
        options = client.post("/accounts/login/code/webauthn/options/").json()
        refused = client.post(
            "/accounts/login/code/",
            {"method": "webauthn", "credential": json.dumps(tampered(key.assert_(options)))},
        )
        self.see("page 2: a security key refused", refused)
        self.later(5)
        verified = login_verified(self.client(), kim)
        self.see("settings: a security key", verified.get("/accounts/two-factor/"))
        self.see("verify: a security key", verified.get("/accounts/two-factor/verify/"))
        self.security_key_pages(kim, verified)
        self.passkey_refused(kim, key)

    def security_key_pages(self, kim, client: Client) -> None:
        """The list of keys: add one (a key that is not a passkey), rename, remove; an
        empty list; adding after the step-up grace."""
        keys = "/accounts/two-factor/webauthn/"
        self.see("keys", client.get(keys))
        self.see("keys: no key answered", client.post(keys, {"name": ""}))
        options = client.post("/accounts/two-factor/webauthn/options/").json()
        created = SoftwareAuthenticator().register(options, resident=False)
        added = client.post(keys, {"credential": json.dumps(created)}, follow=True)
        self.see("keys: a key added (not a passkey)", added)
        second = WebAuthnCredential.objects.filter(user=kim).order_by("pk").last()
        rename = f"/accounts/two-factor/webauthn/{second.pk}/rename/"
        self.see("keys: a name too long", client.post(rename, {"name": "x" * 65}, follow=True))
        renamed = client.post(rename, {"name": f"YubiKey {self.language}"}, follow=True)
        self.see("keys: a key renamed", renamed)
        remove = f"/accounts/two-factor/webauthn/{second.pk}/remove/"
        self.see("keys: remove a key", client.get(remove))
        self.see("keys: a key removed", client.post(remove, follow=True))
        self.later(1801)
        self.see("keys: confirm it is you first", client.get(keys))
        newcomer = self.client()
        newcomer.force_login(self.user(f"lee-{self.language}"))
        self.see("keys: none yet", newcomer.get(keys))
        self.later(61)

    def passkey_refused(self, kim, key) -> None:
        """Page 1 after a passkey that did not verify, and after one too many."""
        client = self.client()
        bad = {"passkey_id": "nope", "credential": "{}"}
        self.see(
            "page 1: passkey refused", client.post("/accounts/login/passkey/", bad, follow=True)
        )
        for _ in range(2):  # a wrong signature counts for her back-off; the next one waits
            body = client.post("/accounts/login/passkey/options/").json()
            wrong = tampered(key.assert_(body["publicKey"]))
            data = {"passkey_id": body["passkey_id"], "credential": json.dumps(wrong)}
            response = client.post("/accounts/login/passkey/", data, follow=True)
        self.see("page 1: passkey throttled", response)
        self.later(61)

    def policy_and_options(self, bob) -> None:
        sam = self.user(f"sam-{self.language}", is_staff=True)
        client = self.client()
        client.force_login(sam)
        with override_settings(TWOSTEP_REQUIRED="staff"):
            self.see("settings: required", client.get("/accounts/two-factor/"))
        with override_settings(TWOSTEP_REMEMBER_DAYS=0):
            self.see("settings: no trusted browsers", client.get("/accounts/two-factor/"))

    def api(self, bob) -> None:
        client = self.client()

        def post(path, data=None, **extra):
            body = json.dumps(data) if not isinstance(data, str) else data
            extra.setdefault("content_type", "application/json")
            return client.post(API + path, body, **extra)

        credentials = {"username": bob.get_username(), "password": TEST_PASSWORD}
        self.see("api: wrong password", post("/auth/login", {**credentials, "password": "x"}), 401)
        challenge = post("/auth/login", credentials)
        self.see("api: code needed", challenge, 401)
        two_factor_id = challenge.json()["meta"]["two_factor_id"]
        self.see("api: no code", post("/auth/two-factor", {"two_factor_id": two_factor_id}), 400)
        bad_method = post(
            "/auth/two-factor", {"two_factor_id": two_factor_id, "code": "1", "method": "sms"}
        )
        self.see("api: unknown method", bad_method, 400)
        self.see("api: a number", post("/auth/login", {"username": 5, "password": "x"}), 400)
        too_long = post("/auth/login", credentials, HTTP_X_OTP="1" * 65)
        self.see("api: header too long", too_long, 400)
        unknown_id = post("/auth/two-factor", {"two_factor_id": "nope", "code": "123456"})
        self.see("api: login expired", unknown_id, 401)
        wrong = {"two_factor_id": two_factor_id, "code": "000000x"}
        self.see("api: wrong code", post("/auth/two-factor", wrong), 400)
        self.see("api: throttled", post("/auth/two-factor", wrong), 429)
        for wait in (2, 4, 8, 16):
            self.later(wait)
            last = post("/auth/two-factor", wrong)
        self.see("api: last wrong code", last, 400)
        self.later(61)

        self.see("api: method not allowed", client.get(API + "/auth/login"), 405)
        self.see("api: no such path", client.get(API + "/auth/nothing-here"), 404)
        self.see("api: plain text", post("/auth/login", "x", content_type="text/plain"), 415)
        self.see("api: broken JSON", post("/auth/login", "{"), 400)
        self.see("api: XML wanted", post("/auth/login", {}, HTTP_ACCEPT="application/xml"), 406)
        self.see("api: no token", client.get(API + "/users/me/otp"), 401)
        self.see("api: bad refresh token", post("/auth/token/refresh", {"refresh_token": "x"}), 400)

        used = current_code(bob)
        tokens = post("/auth/login", {**credentials, "code": used}).json()
        again = post("/auth/login", {**credentials, "code": used})
        self.see("api: a code used already", again, 400)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
        self.see("api: already on", post("/users/me/otp", {}, **auth), 409)
        self.see("api: someone else", client.get(API + "/users/somebody/otp", **auth), 403)
        self.see("api: trigger with a list", post("/mfa/trigger", [], **auth), 400)
        self.see("api: trigger by method", post("/mfa/trigger", {"method": "sms"}, **auth), 400)
        self.see("api: trigger without type", post("/mfa/trigger", {}, **auth), 400)
        self.see("api: trigger unknown type", post("/mfa/trigger", {"type": "sms"}, **auth), 400)

        nora = self.user_model.objects.get(username=f"nora-{self.language}")
        nora_tokens = post(
            "/auth/login", {"username": nora.get_username(), "password": TEST_PASSWORD}
        ).json()
        nora_auth = {"HTTP_AUTHORIZATION": f"Bearer {nora_tokens['access_token']}"}
        self.see("api: no e-mail method", post("/mfa/trigger", {"type": "email"}, **nora_auth), 400)
        activate = client.patch(
            API + "/users/me/otp", {"code": "123456"}, content_type="application/json", **nora_auth
        )
        self.see("api: nothing to activate", activate, 409)

        self.later(1801)  # past the step-up grace period
        change = {"password": TEST_PASSWORD, "new_password": "another horse battery staple"}
        no_code = client.patch(
            API + "/me/password", change, content_type="application/json", **auth
        )
        self.see("api: step-up code missing", no_code, 403)
        wrong_code = client.patch(
            API + "/me/password",
            change,
            content_type="application/json",
            HTTP_X_MFA_CODE="000000x",
            **auth,
        )
        self.see("api: step-up code wrong", wrong_code, 403)
        self.later(61)

    def busy(self) -> None:
        """The page a busy database answers with (a real lock: tests/test_busy_database.py)."""
        request = RequestFactory().post("/accounts/login/")
        with translation.override(self.language):
            self.see("busy: try again", busy_response(request).render(), 503)

    def api_catalogue(self) -> None:
        """Every error of the catalogue, as the API would send it."""
        with translation.override(self.language):
            for code in CATALOGUE:
                error = error_object(code)
                self.pages.append((f"api catalogue: {code}", [error["title"], error["detail"]]))

    def alice_turns_off(self, alice, client: Client) -> None:
        self.later()
        login_verified(client, alice)
        removed = client.post("/accounts/two-factor/email/setup/", {"remove": "1"}, follow=True)
        self.see("settings: e-mail codes removed", removed)
        device = TOTPDevice.objects.get(user_id=alice.pk, confirmed=True)
        code = totp_for(device).at(self.clock.time())
        off = client.post("/accounts/two-factor/totp/disable/", {"code": code}, follow=True)
        self.see("settings: turned off", off)


_WALKS: dict[str, list[tuple[str, list[str]]]] = {}


@pytest.fixture
def walk(twostep_clock, django_user_model):
    """The pages of the walk in a language (each language is walked once per run)."""

    def pages_in(language: str) -> list[tuple[str, list[str]]]:
        if language not in _WALKS:
            mail.outbox.clear()
            _WALKS[language] = Walk(language, twostep_clock, django_user_model).run()
        return _WALKS[language]

    return pages_in


def english_found(pages, entries) -> Iterator[tuple[str, str]]:
    """(page, msgid) for every msgid whose English text a page shows."""
    patterns = [(entry.msgid, english_pattern(text)) for entry in entries for text in entry.english]
    for label, texts in pages:
        for text in texts:
            for msgid, pattern in patterns:
                if pattern.search(text):
                    yield label, msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_any_page(walk, language):
    entries = [e for e in messages(language) if e.msgid not in SAME_AS_ENGLISH[language]]
    pages = walk(language)
    assert len(pages) > 60
    left = sorted(set(english_found(pages, entries)))
    assert left == []


def test_the_walk_shows_every_string_of_the_catalog(walk):
    """In English, the walk shows every msgid but the admin's: it covers the package."""
    entries = messages("de")
    shown = {msgid for _, msgid in english_found(walk("en"), entries)}
    assert sorted({e.msgid for e in entries} - shown - ADMIN_ONLY) == []
    assert {e.msgid for e in entries} >= ADMIN_ONLY  # the list names real msgids


def test_no_text_reads_the_same_in_every_language(walk):
    """A text that is the same in English and in all five languages on the same page
    was never marked for translation (data such as usernames aside)."""
    walks = {language: dict(walk(language)) for language in ("en", *LANGUAGES)}
    labels = list(walks["en"])
    assert all(list(pages) == labels for pages in walks.values())  # the same walk everywhere
    same = []
    for label in labels:
        english = set(walks["en"][label])
        for language in LANGUAGES:
            english &= set(walks[language][label])
        same += [
            f"{label}: {text!r}"
            for text in sorted(english)
            if re.search(r"[A-Za-z]{3}", DATA.sub("", text))
        ]
    assert same == []
