import pytest
from django.db import connection

pytest_plugins = ["django_twostep.testing"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests skip on SQLite (`make test` reruns them on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: DATABASE_URL=postgres://... (CI runs it)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


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
