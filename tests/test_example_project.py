"""The example site: home page, demo user, DATABASE_URL."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from example_project.dburl import parse_database_url


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
                "PORT": "5432",
            },
        ),
    ],
)
def test_database_url(url, expected):
    parsed = parse_database_url(url)
    assert {k: parsed[k] for k in expected} == expected


def test_database_url_rejects_unknown_schemes():
    with pytest.raises(ValueError, match="mysql"):
        parse_database_url("mysql://root@localhost/db")
