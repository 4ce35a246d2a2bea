"""128 code submissions at once through gunicorn (gthread, 2 workers x 8 threads).

On SQLite, the embedded default, configured as the example project configures
it (WAL, ``transaction_mode="IMMEDIATE"``, a busy timeout), and on PostgreSQL:
no 5xx other than 503, exactly one success, and the replay and back-off rules
hold (the code is spent once; every wrong attempt counted, every throttled one
not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from .conftest import leaked_secrets
from .live import TWO_FACTOR, Database, LiveServer, codes_of, make_account, race, start_server

pytestmark = pytest.mark.multiworker

N = 128


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def threaded_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, live_secrets
) -> Iterator[tuple[LiveServer, Database]]:
    directory = tmp_path_factory.mktemp(f"threaded-{request.param}")
    if request.param == "postgresql":
        database = request.getfixturevalue("live_db")
    else:
        database = Database.create_sqlite(directory)
        database.migrate(directory / "migrate.log")
    server = start_server(database, directory, name="threaded", workers=2, threads=8)
    try:
        yield server, database
    finally:
        server.stop()
        if request.param == "sqlite":
            database.drop()
    leaks = leaked_secrets(server.logs(), live_secrets)
    assert not leaks, f"secrets in the server's logs: {leaks}"


def test_128_parallel_submissions_of_one_code_succeed_once_and_never_500(
    threaded_server, live_secrets
):
    server, db = threaded_server
    account = make_account(server, db, live_secrets, "threaded")
    ids = [account.challenge() for _ in range(N)]
    code = account.next_code()
    before = len(server.access_entries())

    responses = race(
        lambda i=i: account.post(TWO_FACTOR, {"two_factor_id": ids[i], "code": code})
        for i in range(N)
    )

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 400, 429, 503}, (statuses, server.logs()[-3000:])
    assert statuses[200] == 1, statuses
    by_code = Counter(c for r in responses if r.status_code != 200 for c in codes_of(r))
    assert set(by_code) <= {"invalid_code", "too_many_attempts", "temporarily_unavailable"}
    # Replay: the step was spent once; one pending login was completed.
    assert db.count("challenge", "user_id = %s AND consumed_at IS NOT NULL", account.user_id) == 1
    # Back-off: every refused code counted, every throttled (or busy) request did not.
    assert db.failures(account.user_id) == statuses[400]
    assert statuses[400] >= 1 and statuses[429] >= 1
    entries = server.access_entries()[before:]
    assert len({pid for pid, _, path, _ in entries if path == TWO_FACTOR}) == 2  # both workers
    assert "Traceback" not in server.logs()
    print(f"\n{db.name}: {dict(statuses)}")
