import os

import pytest
from django.db import connection
from django.test import Client

from tests import optional

pytest_plugins = ["django_twostep.testing"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last; PostgreSQL-only tests skip on SQLite.

    Last, because Playwright's session-wide browser keeps an event loop in the
    main thread, and Django then refuses synchronous database work (system
    checks touch the database) in any test that follows. PostgreSQL-only tests:
    `make test` reruns them on PostgreSQL.
    """
    items.sort(key=lambda item: "browser" in item.keywords)  # stable: order kept otherwise
    if connection.vendor == "postgresql":
        return
    second_leg = os.environ.get("TWOSTEP_TEST_POSTGRES_LEG")  # scripts/test runs them next
    if second_leg:
        reason = f"{optional.POSTGRESQL_NEXT} on {second_leg}"
    else:
        reason = f"{optional.POSTGRESQL_ONLY}: DATABASE_URL=postgres://... (CI runs it)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        optional.note_skip(report.longrepr[2].removeprefix("Skipped: "))


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's last line: what was skipped for want of which system part, and
    how to install it (tests/optional.py)."""
    line = optional.summary()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if line and reporter is not None:
        reporter.write_line(line, yellow=True)


@pytest.fixture
def match_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every comparison of a TOTP code (to prove a throttled call compares none)."""
    from django_twostep.models import TOTPDevice

    calls: list[str] = []
    original = TOTPDevice.match

    def spy(self, code, **kwargs):
        calls.append(code)
        return original(self, code, **kwargs)

    monkeypatch.setattr(TOTPDevice, "match", spy)
    return calls


@pytest.fixture
def erin(django_user_model, twostep_clock):
    """A user whose only method is e-mail codes (the set-up mail already read)."""
    from django.core import mail

    from django_twostep.methods.email import flows as email_flows
    from django_twostep.testing import TEST_PASSWORD

    from .pages import mailed_code

    user = django_user_model.objects.create_user(
        "erin", email="erin@example.com", password=TEST_PASSWORD
    )
    email_flows.begin_email_setup(user)
    email_flows.confirm_email_setup(user, mailed_code())
    twostep_clock.advance(60)  # past the resend interval
    mail.outbox.clear()
    return user


@pytest.fixture
def bob_client(plain_user):
    """A test client logged in as ``plain_user`` (no two-factor method)."""
    client = Client()
    client.force_login(plain_user)
    return client
