"""Every page: CSP-safe markup, labelled inputs, no-store, one overridable base."""

from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from django_twostep import flows
from django_twostep.methods.totp import flows as totp_flows
from django_twostep.testing import current_code, login_verified, wrong_code
from tests.pages import page1, page2, url

pytestmark = pytest.mark.django_db


# The security keys' script: the only one, loaded by src from the app's static files.
OUR_SCRIPT = "/static/django_twostep/webauthn.js"


class PageAudit(HTMLParser):
    """Collects what a strict CSP or a screen reader would object to."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.inputs = []
        self.labels = set()
        self.ids = []
        self.stylesheets = []
        self.in_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append("inline script")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")
            loads = name == "src" or (tag == "link" and name == "href")
            if loads and (value or "").startswith(("http:", "https:", "//")):
                self.problems.append(f"resource from elsewhere: {value}")
        if tag == "script":
            # The app's one script, by src (SPEC section 7); any other is a problem.
            self.in_script = True
            if attrs.get("src") != OUR_SCRIPT or set(attrs) - {"src", "defer"}:
                self.problems.append("<script> element")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href"))
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.inputs.append(attrs)


def audit(response):
    parser = PageAudit()
    parser.feed(response.content.decode())
    assert parser.problems == [], parser.problems
    for attrs in parser.inputs:
        assert attrs.get("id") in parser.labels, f"input without a label: {attrs}"
        described = attrs.get("aria-describedby", "")
        for target in described.split():
            assert target in parser.ids, f"aria-describedby points nowhere: {target}"
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    assert parser.stylesheets == ["/static/django_twostep/twostep.css"]
    return parser


def pages_for(client, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        yield path, response


def all_pages(totp_user, plain_user, twostep_clock):
    """(path, response) for every page in its interesting states."""
    anonymous = Client()
    yield from pages_for(anonymous, [url("login"), "/"])

    pending = Client()
    page1(pending)
    yield from pages_for(pending, [url("login-code"), url("login-code") + "?method=recovery"])
    yield "page 2 with an error", page2(pending, wrong_code(totp_user))
    yield "page 2 throttled", page2(pending, current_code(totp_user))

    bob = Client()
    bob.force_login(plain_user)
    setup = bob.get(url("totp-setup"))
    yield url("totp-setup"), setup
    yield from pages_for(bob, [url("settings"), url("recovery-codes"), "/", "/password/"])
    device = totp_flows.pending_totp(plain_user).device
    yield "set-up with an error", bob.post(url("totp-setup"), {"code": "12"})
    twostep_clock.advance(30)
    bob.post(url("totp-setup"), {"code": pyotp.TOTP(device.base32_key).now()})
    yield "fresh recovery codes", bob.get(url("recovery-codes"))

    twostep_clock.advance(60)
    alice = login_verified(Client(), totp_user)
    flows.trust.trust_browser(totp_user)
    yield from pages_for(
        alice,
        [
            url("settings"),
            url("recovery-codes"),
            url("totp-disable"),
            url("verify") + "?next=/password/",
            url("verify") + "?method=recovery",
            "/",
            "/password/",
        ],
    )


def test_every_page_is_csp_safe_and_labelled(totp_user, plain_user, twostep_clock):
    seen = 0
    for path, response in all_pages(totp_user, plain_user, twostep_clock):
        assert response["Content-Type"].startswith("text/html"), path
        try:
            audit(response)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from error
        seen += 1
    assert seen == 20


def test_every_two_step_page_sends_no_store(totp_user, plain_user, twostep_clock):
    for path, response in all_pages(totp_user, plain_user, twostep_clock):
        if path == "/":
            continue
        assert "no-store" in response.get("Cache-Control", ""), path


def test_the_example_site_sends_a_strict_csp(client):
    policy = client.get(url("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_stylesheet_is_shipped_with_the_app_and_has_a_dark_mode():
    path = finders.find("django_twostep/twostep.css")
    assert path
    css = Path(path).read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css
    assert "@import" not in css and "url(" not in css  # nothing fetched from elsewhere


def test_every_page_extends_one_overridable_base(
    settings, tmp_path, totp_user, plain_user, twostep_clock
):
    (tmp_path / "django_twostep").mkdir()
    (tmp_path / "django_twostep" / "base.html").write_text(
        '<!doctype html><html lang="en"><head><title>Site</title>'
        '<link rel="stylesheet" href="/static/django_twostep/twostep.css"></head>'
        '<body><p id="site-wrapper">my site</p>{% block content %}{% endblock %}</body></html>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    for path, response in all_pages(totp_user, plain_user, twostep_clock):
        assert 'id="site-wrapper"' in response.content.decode(), path


def test_templates_have_no_untranslated_visible_text():
    """A crude guard: the app's HTML templates load i18n and mark their text."""
    import django_twostep

    folder = Path(django_twostep.__file__).parent / "templates" / "django_twostep"
    for template in folder.rglob("*.html"):
        text = template.read_text()
        if "{% translate" in text or "{% blocktranslate" in text:
            assert "{% load i18n" in text, template.name


def test_code_field_is_focused_and_numeric_on_every_code_page(totp_user, twostep_clock):
    alice = login_verified(Client(), totp_user)
    pending = Client()
    page1(pending)
    for client, name in [(pending, "login-code"), (alice, "verify"), (alice, "totp-disable")]:
        html = client.get(reverse(f"twostep:{name}")).content.decode()
        assert 'id="id_code"' in html and "autofocus" in html, name
        assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html, name
