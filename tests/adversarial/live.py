"""A live deployment for the adversarial tests: gunicorn worker processes over PostgreSQL
(or over a SQLite file, the embedded default).

:func:`start_server` serves the example project with gunicorn (sync workers,
each a separate process with its own database connection, or gthread workers
with several threads each) on 127.0.0.1 and a free port; :class:`Database` is
the test's own view of the server's database
(it creates users and reads back counters; it never decides anything the
server decides). :class:`Account` drives a user through the real API as a
client would; :class:`Browser` drives the pages.

The server runs on the real clock. Tests never wait for a TOTP step: a user's
next code is computed from the step the server last accepted and the drift it
learned (both read from the database), and the example project's
``TWOSTEP_THROTTLE_FACTOR`` makes back-off waits short enough to wait out.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyotp
import requests

from django_twostep.testing import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
LIVE_SETTINGS = "tests.adversarial.live_settings"
STEP = 30  # the example project's TOTP period

API = "/api/v1"
LOGIN = f"{API}/auth/login"
TWO_FACTOR = f"{API}/auth/two-factor"
REFRESH = f"{API}/auth/token/refresh"
LOGOUT = f"{API}/auth/logout"
OTP = f"{API}/users/me/otp"
RECOVERY = f"{API}/users/me/recovery-codes"
PASSWORD = f"{API}/me/password"


# -- secrets the tests handle, scanned for in the server's logs at the end ------------------


class Secrets:
    """Every secret a live test sent or received (codes, tokens, ids, TOTP keys)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: object) -> None:
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= 6:
                    self._values.add(value)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(sorted(self._values))

    def found_in(self, text: str) -> list[str]:
        return [value for value in self if value in text]


# -- the database -------------------------------------------------------------------------


def admin_url(url: str) -> str:
    """The same server's maintenance database (``postgres``)."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def postgres_answers(url: str) -> bool:
    try:
        psycopg.connect(admin_url(url), connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@dataclass
class Database:
    """A database made for one test session, and SQL on it: PostgreSQL (``adv_*``),
    or a SQLite file (:meth:`create_sqlite`). SQL is written with ``%s`` placeholders."""

    url: str
    name: str
    _conn: Any = None
    sqlite_path: Path | None = None

    @classmethod
    def create_sqlite(cls, directory: Path) -> Database:
        """A SQLite file, which the example project opens with its own options (WAL, ...)."""
        path = directory / f"adv_{os.getpid()}_{secrets.token_hex(3)}.sqlite3"
        return cls(url=f"sqlite:///{path}", name=path.name, sqlite_path=path)

    @classmethod
    def create(cls, server_url: str) -> Database:
        name = f"adv_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(admin_url(server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        return cls(url=url, name=name)

    def migrate(self, log: Path) -> None:
        with log.open("wb") as out:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"],
                cwd=ROOT,
                env=server_env(self.url),
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=300,
            )

    def drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            return
        with psycopg.connect(admin_url(self.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @property
    def conn(self) -> Any:
        if self.sqlite_path is not None:
            if self._conn is None:
                self._conn = sqlite3.connect(self.sqlite_path, isolation_level=None, timeout=30)
            return self._conn
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        if self.sqlite_path is not None:
            cursor = self.conn.execute(sql.replace("%s", "?"), params)
            return cursor.fetchall() if cursor.description else []
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def count(self, table: str, where: str, *params: Any) -> int:
        """Rows of ``django_twostep_<table>`` matching ``where``."""
        return self.value(f"SELECT count(*) FROM django_twostep_{table} WHERE {where}", *params)

    def user_id(self, username: str) -> int:
        return self.value("SELECT id FROM auth_user WHERE username = %s", username)

    def create_user(
        self, username: str, *, email: str = "", active: bool = True, staff: bool = False
    ) -> int:
        """A user with :data:`TEST_PASSWORD` (hashed as the server's MD5 hasher expects)."""
        from django.contrib.auth.hashers import make_password

        return self.value(
            """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                   email, is_staff, is_active, date_joined)
               VALUES (%s, %s, %s, '', '', %s, %s, %s, CURRENT_TIMESTAMP) RETURNING id""",
            make_password(TEST_PASSWORD, hasher="md5"),
            staff,
            username,
            email or f"{username}@example.com",
            staff,
            active,
        )

    def failures(self, user_id: int) -> int:
        return (
            self.value(
                "SELECT failures FROM django_twostep_userthrottle WHERE user_id = %s", user_id
            )
            or 0
        )

    def locked_until(self, user_id: int) -> float | None:
        """Epoch seconds until which the user's back-off runs (None: free)."""
        value = self.value(
            "SELECT locked_until FROM django_twostep_userthrottle WHERE user_id = %s", user_id
        )
        if isinstance(value, str):  # SQLite keeps datetimes as text
            value = datetime.fromisoformat(value)
        return value.timestamp() if value is not None else None

    def wait_out_backoff(self, user_id: int, *, at_most: float) -> None:
        """Let the server's back-off of the user run out (real time: the server's clock).

        The only waiting in these tests; ``TWOSTEP_THROTTLE_FACTOR`` keeps it short,
        and ``at_most`` keeps it bounded.
        """
        until = self.locked_until(user_id)
        if until is None:
            return
        delay = until - time.time() + 0.02
        assert delay <= at_most, f"back-off of {delay:.2f}s, more than this test allows"
        if delay > 0:
            time.sleep(delay)

    def totp_state(self, user_id: int) -> tuple[int, int]:
        """(last accepted step, learned drift) of the user's active TOTP device."""
        row = self.rows(
            "SELECT last_t, drift FROM django_twostep_totpdevice WHERE user_id = %s AND confirmed",
            user_id,
        )
        assert row, "no active TOTP device"
        return row[0]


# -- the server ---------------------------------------------------------------------------


def server_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of the example project's processes: ours, not the caller's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWOSTEP_", "DJANGO_", "DATABASE_URL", "PYTEST_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": LIVE_SETTINGS,
            "DJANGO_DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            **overrides,
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'
_ACCESS_LINE = re.compile(r'^<(\d+)> "(\S+) (\S+) [^"]*" (\d{3})$')


@dataclass
class LiveServer:
    """One gunicorn master and its workers serving the example project."""

    name: str
    base_url: str
    process: subprocess.Popen
    workers: int
    access_log: Path
    error_log: Path
    mail_log: Path
    outbox: Path
    env: dict[str, str] = field(repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def access_entries(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, method, path, status) of every request served so far."""
        entries = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            match = _ACCESS_LINE.match(line.strip())
            if match:
                pid, method, path, status = match.groups()
                entries.append((int(pid), method, path, int(status)))
        return entries

    def logs(self) -> str:
        """Everything the server wrote to its logs (error log and access log).

        The example project's console mail backend prints mails on stdout (the
        demo's way of delivering e-mailed codes): that stream is the mailbox,
        not a log, and is not included.
        """
        return self.error_log.read_text(errors="replace") + self.access_log.read_text(
            errors="replace"
        )

    def last_mailed_code(self, address: str) -> str:
        """The code in the newest mail to ``address`` (read from the example's outbox)."""
        import json

        mails = [json.loads(line) for line in self.outbox.read_text().splitlines() if line]
        for mail in reversed(mails):
            if address in mail["to"]:
                return re.search(r"\b(\d{6})\b", mail["body"]).group(1)
        raise AssertionError(f"no mail to {address}")

    def ask_to_stop(self) -> None:
        """Quick shutdown (SIGINT): nothing is in flight once the tests are done."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self) -> None:
        self.ask_to_stop()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # The group is the master's own (start_new_session): its workers only.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def start_server(
    database: Database,
    directory: Path,
    *,
    name: str,
    workers: int,
    threads: int = 1,
    **overrides: str,
) -> LiveServer:
    """Serve the example project on a free port of 127.0.0.1 until :meth:`LiveServer.stop`.

    ``threads`` > 1: gthread workers with that many threads each (else sync workers).
    """
    worker_class = (
        ["--worker-class=sync"]
        if threads == 1
        else [
            "--worker-class=gthread",
            f"--threads={threads}",
        ]
    )
    last_error = ""
    for attempt in range(3):
        port = free_port()
        prefix = directory / f"{name}-{attempt}"
        outbox = Path(f"{prefix}-outbox.jsonl")
        outbox.touch()
        env = server_env(database.url, EXAMPLE_OUTBOX_FILE=str(outbox), **overrides)
        server = LiveServer(
            name=name,
            base_url=f"http://127.0.0.1:{port}",
            process=None,  # type: ignore[arg-type]
            workers=workers,
            access_log=Path(f"{prefix}-access.log"),
            error_log=Path(f"{prefix}-error.log"),
            mail_log=Path(f"{prefix}-mail.log"),
            outbox=outbox,
            env=env,
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "example_project.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            *worker_class,
            "--preload",
            "--timeout=120",
            "--graceful-timeout=5",
            f"--access-logfile={server.access_log}",
            f"--access-logformat={ACCESS_FORMAT}",
            "--error-logfile=-",
            "--log-level=info",
            f"--chdir={ROOT}",
        ]
        server.access_log.touch()
        with server.mail_log.open("wb") as out, server.error_log.open("wb") as err:
            server.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True
            )
        if _wait_until_ready(server):
            return server
        server.stop()
        last_error = server.error_log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not start:\n{last_error}")


def _wait_until_ready(server: LiveServer, timeout: float = 90) -> bool:
    """True once every worker has booted and a page answers; False if gunicorn died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        booted = server.error_log.read_text(errors="replace").count("Booting worker")
        if booted >= server.workers:
            with contextlib.suppress(requests.RequestException):
                if requests.get(server.url("/accounts/login/"), timeout=5).status_code == 200:
                    return True
        time.sleep(0.1)  # polling a starting process, not waiting for the clock
    return False


# -- firing requests together -------------------------------------------------------------


def race(actions: Iterable[Callable[[], Any]]) -> list[Any]:
    """Run each action in its own thread, all released at once; results (or exceptions)."""
    actions = list(actions)
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return action()
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def served_by(server: LiveServer, path: str, since: int) -> set[int]:
    """Worker pids that served ``path`` after the first ``since`` access-log entries."""
    return {pid for pid, _, p, _ in server.access_entries()[since:] if p == path}


# -- a user driven through the API --------------------------------------------------------


def codes_of(response: requests.Response) -> list[str]:
    body = response.json()
    assert set(body) <= {"errors", "meta"}, body
    return [error["code"] for error in body["errors"]]


@dataclass
class Account:
    """A user of the live server, enrolled through the real API as a client would."""

    server: LiveServer
    db: Database
    seen: Secrets
    username: str
    user_id: int
    email: str
    secret: str = ""
    access_token: str = ""
    refresh_token: str = ""
    recovery_codes: list[str] = field(default_factory=list)

    # -- HTTP ------------------------------------------------------------------------

    def post(self, path: str, json: Any = None, *, token: str | None = None, **kwargs: Any):
        return self.request("POST", path, json=json, token=token, **kwargs)

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for name in ("X-OTP", "X-MFA-Code"):
            self.seen.add(headers.get(name))
        body = kwargs.get("json")
        if isinstance(body, dict):
            self.seen.add(*(v for k, v in body.items() if k != "username"))
        response = requests.request(
            method, self.server.url(path), headers=headers, timeout=60, **kwargs
        )
        self._remember(response)
        return response

    def _remember(self, response: requests.Response) -> None:
        if not response.headers.get("Content-Type", "").startswith("application/"):
            return
        with contextlib.suppress(ValueError):
            body = response.json()
            if isinstance(body, dict):
                self.seen.add(
                    body.get("access_token"),
                    body.get("refresh_token"),
                    body.get("secret"),
                    (body.get("meta") or {}).get("two_factor_id"),
                    *(body.get("codes") or []),
                )

    # -- flows -------------------------------------------------------------------------

    def login(self, *, headers: dict[str, str] | None = None, **fields: Any) -> requests.Response:
        body = {"username": self.username, "password": TEST_PASSWORD, **fields}
        return self.post(LOGIN, body, headers=headers)

    def challenge(self) -> str:
        """A new pending login (``two_factor_id``) from the password alone."""
        response = self.login()
        assert response.status_code == 401, response.text
        assert codes_of(response) == ["two_factor_required"]
        return response.json()["meta"]["two_factor_id"]

    def enroll_totp(self) -> Account:
        """Password login (tokens), TOTP set up and activated, recovery codes made."""
        response = self.login()
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        self.refresh_token = response.json()["refresh_token"]
        response = self.post(OTP, token=self.access_token)
        assert response.status_code == 201, response.text
        self.secret = response.json()["secret"]
        code = pyotp.TOTP(self.secret).now()
        self.seen.add(code)
        response = self.request("PATCH", OTP, token=self.access_token, json={"code": code})
        assert response.status_code == 204, response.text
        response = self.post(RECOVERY, token=self.access_token)  # fresh from the activation
        assert response.status_code == 201, response.text
        self.recovery_codes = response.json()["codes"]
        return self

    def next_code(self) -> str:
        """An unused TOTP code the server accepts now and for at least the next 30 s.

        The step after the last one used, or the current one (as the server sees
        it, with the phone's learned drift) if that is later.
        """
        last, drift = self.db.totp_state(self.user_id)
        centre = math.floor(time.time() / STEP) + drift
        step = max(last + 1, centre)
        assert step <= centre + 1, "every usable step is spent: this test uses too many codes"
        code = pyotp.TOTP(self.secret).at(step * STEP)
        self.seen.add(code)
        return code

    def wrong_code(self) -> str:
        """A well-formed code no step near now accepts."""
        now = math.floor(time.time() / STEP)
        near = {pyotp.TOTP(self.secret).at((now + k) * STEP) for k in range(-4, 5)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def make_account(
    server: LiveServer, db: Database, seen: Secrets, prefix: str, *, totp: bool = True
) -> Account:
    """A new user (fresh name) with TOTP enrolled through the API unless ``totp=False``."""
    username = f"{prefix}-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    user_id = db.create_user(username, email=email)
    account = Account(
        server=server, db=db, seen=seen, username=username, user_id=user_id, email=email
    )
    if totp:
        account.enroll_totp()
    return account


# -- a browser on the pages ---------------------------------------------------------------


class Browser:
    """A requests session that behaves like a browser on the pages (cookies, CSRF)."""

    def __init__(self, server: LiveServer, seen: Secrets) -> None:
        self.server = server
        self.seen = seen
        self.session = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.server.url(path), allow_redirects=False, timeout=60, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.get("/accounts/login/")
        self.seen.add(data.get("code"))
        data = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        headers = {"Referer": self.server.url(path)}
        return self.session.post(
            self.server.url(path),
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=60,
            **kwargs,
        )

    def page1(self, username: str, password: str = TEST_PASSWORD) -> requests.Response:
        return self.post("/accounts/login/", {"username": username, "password": password})

    def page2(self, code: str) -> requests.Response:
        return self.post("/accounts/login/code/", {"code": code})

    def start_login(self, username: str) -> None:
        response = self.page1(username)
        assert response.status_code == 302, response.text[:500]
        assert response.headers["Location"] == "/accounts/login/code/"
