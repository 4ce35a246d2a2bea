"""The example site served for real, on a fresh database, for the browser tests.

:class:`SiteFactory` makes one migrated and seeded template database per test
session (see :mod:`tests.browser.seed`), then :meth:`SiteFactory.start` gives
each test its own copy of it and its own server process:

- SQLite (the default): the template is a file in a temporary folder and each
  site gets a copy of the file.
- PostgreSQL (when ``DATABASE_URL`` is ``postgres://...``, as in CI's
  PostgreSQL leg): the template is a database named after the one in the URL
  (``<name>_browser_<pid>_template``) and each site gets
  ``CREATE DATABASE ... TEMPLATE`` of it; all are dropped at the end.

A server is ``python -m tests.browser.serve`` (Django's threaded WSGI server
with static files) in a subprocess with the example site's settings, on a
socket the test process bound to a free port of 127.0.0.1 and already listens
on, so no port is raced for and nothing polls for the server to be up. Each
site can have its own environment (``TWOSTEP_REQUIRED=staff``...). The
server's log goes to a file, shown when it fails to start and by
:meth:`LiveSite.log`.

Nothing here imports Django: the test process keeps its own settings.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0  # seconds for a server to import Django and say it is ready

# Variables of the outer environment that must not leak into a site's settings.
SCRUBBED = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_DEBUG")


def site_environment(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SCRUBBED and not key.startswith("TWOSTEP_")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra or {})
    return env


class Databases:
    """Where the template and the sites' databases live (SQLite files by default)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.counter = itertools.count(1)

    def template_url(self) -> str:
        return f"sqlite:///{self.workdir / 'template.sqlite3'}"

    def copy_url(self) -> str:
        target = self.workdir / f"site-{next(self.counter)}.sqlite3"
        shutil.copyfile(self.workdir / "template.sqlite3", target)
        return f"sqlite:///{target}"

    def close(self) -> None:
        pass


class PostgresDatabases(Databases):
    """The same on the PostgreSQL server ``DATABASE_URL`` names."""

    def __init__(self, workdir: Path, url: str) -> None:
        super().__init__(workdir)
        import psycopg

        self.psycopg = psycopg
        parts = urlsplit(url)
        self.parts = parts
        base = parts.path.lstrip("/") or "twostep"
        self.prefix = f"{base}_browser_{os.getpid()}"
        self.created: list[str] = []
        self.admin = psycopg.connect(url, dbname="postgres", autocommit=True)
        self.create(f"{self.prefix}_template")

    def url_for(self, name: str) -> str:
        return urlunsplit(self.parts._replace(path=f"/{name}"))

    def create(self, name: str, template: str | None = None) -> str:
        sql = self.psycopg.sql
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(statement)
        self.created.append(name)
        return self.url_for(name)

    def template_url(self) -> str:
        return self.url_for(f"{self.prefix}_template")

    def copy_url(self) -> str:
        return self.create(f"{self.prefix}_{next(self.counter)}", f"{self.prefix}_template")

    def close(self) -> None:
        sql = self.psycopg.sql
        for name in reversed(self.created):
            self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        self.admin.close()


@dataclass
class LiveSite:
    """One running example site: its URL, its database and its server process."""

    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return self.base_url.rstrip("/") + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class SiteFactory:
    """Seeded template database once; a fresh copy and a server per :meth:`start`."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="twostep-browser-"))
        self.owns_workdir = workdir is None
        url = os.environ.get("DATABASE_URL", "")
        if urlsplit(url).scheme in ("postgres", "postgresql", "pgsql"):
            self.databases: Databases = PostgresDatabases(self.workdir, url)
        else:
            self.databases = Databases(self.workdir)
        self.sites: list[LiveSite] = []
        self.counter = itertools.count(1)
        self.people = self.seed()

    @property
    def vendor(self) -> str:
        return "postgresql" if isinstance(self.databases, PostgresDatabases) else "sqlite"

    def seed(self) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-m", "tests.browser.seed"],
            cwd=ROOT,
            env=site_environment(self.databases.template_url()),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"seeding the template database failed:\n{result.stderr}")
        return json.loads(result.stdout)

    def start(self, env: dict[str, str] | None = None) -> LiveSite:
        """A new server on a new copy of the template database."""
        database_url = self.databases.copy_url()
        log_path = self.workdir / f"server-{next(self.counter)}.log"
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind(("127.0.0.1", 0))
        listening.listen(128)
        host, port = listening.getsockname()
        with open(log_path, "wb") as log, listening:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.browser.serve", str(listening.fileno())],
                cwd=ROOT,
                env=site_environment(database_url, env),
                stdout=subprocess.PIPE,
                stderr=log,
                pass_fds=(listening.fileno(),),
            )
        site = LiveSite(f"http://{host}:{port}/", database_url, process, log_path, dict(env or {}))
        self.sites.append(site)
        self.wait_until_ready(site)
        return site

    @staticmethod
    def wait_until_ready(site: LiveSite) -> None:
        """Read the server's "ready" line (blocking on its pipe, with a deadline)."""
        assert site.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(site.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=STARTUP_TIMEOUT):
                site.stop()
                raise RuntimeError(f"the server did not start in time:\n{site.log()}")
        line = site.process.stdout.readline().decode()
        if not line.startswith("ready "):
            site.stop()
            raise RuntimeError(f"the server did not start:\n{line}{site.log()}")

    def stop(self, site: LiveSite) -> None:
        site.stop()

    def close(self) -> None:
        for site in self.sites:
            site.stop()
        self.databases.close()
        if self.owns_workdir:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.workdir)
