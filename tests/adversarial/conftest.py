"""Fixtures of the adversarial suite: the example project served live by gunicorn.

The ``multiworker`` tests attack the deployment shape real sites run: several
gunicorn worker processes over one PostgreSQL. The session creates its own
database (``adv_<pid>_<random>``) on the PostgreSQL server that
``TWOSTEP_TEST_POSTGRES_URL`` names (default: the local one), migrates it,
starts the servers it is asked for, and at the end stops them, scans their logs
for every secret the tests handled, and drops the database. It does not depend
on ``DATABASE_URL``: these tests run in the SQLite leg of ``make test`` too.

Without PostgreSQL the tests skip, unless ``CI=true``: then they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import pytest

from tests import optional

from .live import Database, LiveServer, Secrets, postgres_answers, start_server

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
WORKERS = int(os.environ.get("TWOSTEP_LIVE_WORKERS", "3"))
# Back-off factor of the "guarded" server: 1/16 s, doubling per wrong code, so
# that the brute-force test's real waits stay a few seconds in all.
GUARDED_FACTOR = 1 / 16


@pytest.fixture(scope="session")
def live_secrets() -> Secrets:
    return Secrets()


@pytest.fixture(scope="session")
def live_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = os.environ.get("TWOSTEP_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    if not postgres_answers(url):
        optional.missing("PostgreSQL", f"the multiworker tests need one; none answers at {url}")
    database = Database.create(url)
    try:
        database.migrate(tmp_path_factory.mktemp("live") / "migrate.log")
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def live_servers(
    live_db: Database, tmp_path_factory: pytest.TempPathFactory, live_secrets: Secrets
) -> Iterator[Callable[..., LiveServer]]:
    """``get(name, **env)``: the server of that name, started on first use."""
    directory = tmp_path_factory.mktemp("servers")
    servers: dict[str, LiveServer] = {}

    def get(name: str, **env: str) -> LiveServer:
        if name not in servers:
            servers[name] = start_server(live_db, directory, name=name, workers=WORKERS, **env)
        return servers[name]

    yield get
    for server in servers.values():
        server.ask_to_stop()
    for server in servers.values():
        server.stop()
    leaks = {
        server.name: leaked_secrets(server.logs(), live_secrets) for server in servers.values()
    }
    assert not any(leaks.values()), f"secrets in the live servers' logs: {leaks}"


def leaked_secrets(text: str, seen: Secrets) -> list[str]:
    """Secrets the tests handled that appear in a server's logs (``text``).

    Process ids are removed first: a worker's pid could equal a 6-digit code.
    """
    pids = set(re.findall(r"(?:pid: |\[|<)(\d+)(?:\]|>|\b)", text))
    for pid in sorted(pids, key=len, reverse=True):
        text = re.sub(rf"(?<!\d){pid}(?!\d)", "<pid>", text)
    return seen.found_in(text)


@pytest.fixture(scope="session")
def fast_server(live_servers: Callable[..., LiveServer]) -> LiveServer:
    """No back-off (factor 0): only the challenge's own attempt budget limits guesses."""
    return live_servers("fast", TWOSTEP_THROTTLE_FACTOR="0")


@pytest.fixture(scope="session")
def guarded_server(live_servers: Callable[..., LiveServer]) -> LiveServer:
    """The back-off on, with a small factor so that waits are short in real time."""
    return live_servers("guarded", TWOSTEP_THROTTLE_FACTOR=str(GUARDED_FACTOR))
