"""The example site: home page, demo user, DATABASE_URL."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from example_project.settings import SQLITE_OPTIONS, database, env_flag


@pytest.mark.django_db
def test_home_page_for_an_anonymous_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response.status_code == 200
    assert "Nobody is logged in" in response.content.decode()


@pytest.mark.django_db
def test_home_page_shows_user_and_two_factor_state(client, totp_user):
    client.force_login(totp_user)
    response = client.get("/")
    assert response.context["state"].enabled is True
    assert response.context["verified"] is False
    html = response.content.decode()
    assert "alice" in html and 'data-state="on"' in html and 'data-verified="no"' in html


@pytest.mark.django_db
def test_create_demo_user_prints_working_credentials(capsys):
    call_command("create_demo_user")
    out = capsys.readouterr().out
    assert "username 'demo'" in out
    password = out.split("password '")[1].split("'")[0]
    assert get_user_model().objects.get(username="demo").check_password(password)
    call_command("create_demo_user")  # running it again resets, never fails
    assert "reset" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "sqlite:///tmp/x.sqlite3",
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "tmp/x.sqlite3"},
        ),
        ("sqlite:////abs/x.sqlite3", {"NAME": "/abs/x.sqlite3"}),
        ("sqlite://", {"NAME": ":memory:"}),
        (
            "postgres://postgres:p%40ss@127.0.0.1:5432/test",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "test",
                "USER": "postgres",
                "PASSWORD": "p@ss",
                "HOST": "127.0.0.1",
                "PORT": 5432,
            },
        ),
    ],
)
def test_database_url(url, expected):
    parsed = database(url)
    assert {k: parsed[k] for k in expected} == expected


def test_sqlite_is_set_up_for_concurrent_writers():
    assert database("sqlite:///tmp/x.sqlite3")["OPTIONS"] == SQLITE_OPTIONS
    assert SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in SQLITE_OPTIONS["init_command"]
    assert "OPTIONS" not in database("postgres://postgres@127.0.0.1:5432/test")


def test_database_url_rejects_unknown_schemes():
    with pytest.raises(ValueError):
        database("nosuchdb://root@localhost/db")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("1", True), ("true", True), ("Yes", True), (" on ", True)],
        *[("0", False), ("false", False), ("NO", False), ("off", False)],
    ],
)
def test_env_flag(value, expected):
    assert env_flag("TWOSTEP_PASSKEY_LOGIN", value) is expected


def test_env_flag_refuses_anything_else_by_name():
    with pytest.raises(ImproperlyConfigured, match="TWOSTEP_PASSKEY_LOGIN must be 1 or 0"):
        env_flag("TWOSTEP_PASSKEY_LOGIN", "maybe")


def test_the_example_site_reads_its_on_off_settings_from_the_environment():
    """``TWOSTEP_PASSKEY_LOGIN=0 make demo`` serves the site without passkey login."""
    read = (
        "import django; django.setup(); from django_twostep.conf import twostep_settings as s;"
        "print(s.PASSKEY_LOGIN, s.API_SEND_USER_LOGGED_IN)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}

    def settings_with(**variables: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", read],
            env={**env, **variables},
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    assert settings_with() == "True True"
    assert settings_with(TWOSTEP_PASSKEY_LOGIN="0", TWOSTEP_API_SEND_USER_LOGGED_IN="off") == (
        "False False"
    )


@pytest.fixture
def outbox_backend(settings, tmp_path):
    import django

    settings.EXAMPLE_OUTBOX_FILE = str(tmp_path / "outbox.jsonl")
    backend = "example_project.mail.OutboxBackend"
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": backend}}
    else:
        settings.EMAIL_BACKEND = backend


def newest_code_in_outbox(client) -> str:
    """The code in the newest mail on /outbox/, as the demo's visitor reads it."""
    return re.search(r"\b(\d{6})\b", client.get("/outbox/").content.decode()).group(1)


@pytest.mark.django_db
def test_demo_user_logs_in_with_a_code_read_from_the_outbox(
    client, outbox_backend, settings, twostep_clock
):
    """The demo path: set up e-mail codes, then log in with a code from /outbox/."""
    settings.DEBUG = True
    call_command("create_demo_user")
    demo = get_user_model().objects.get(username="demo")
    credentials = {"username": "demo", "password": "twostep-demo-1"}
    client.post("/accounts/login/", credentials)
    client.post("/accounts/two-factor/email/setup/", {"send": "1"})
    client.post("/accounts/two-factor/email/setup/", {"code": newest_code_in_outbox(client)})
    client.post("/accounts/logout/")

    twostep_clock.advance(31)  # past the resend interval
    client.post("/accounts/login/", credentials)
    client.post("/accounts/login/code/email/")
    response = client.post("/accounts/login/code/", {"code": newest_code_in_outbox(client)})
    assert response.status_code == 302
    home = client.get("/")
    assert home.context["user"] == demo and home.context["verified"] is True


@pytest.mark.django_db
def test_outbox_is_hidden_without_debug(client, settings):
    settings.DEBUG = False
    assert client.get("/outbox/").status_code == 404
