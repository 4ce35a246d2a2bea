#!/usr/bin/env python3
"""django-twostep against Django's one-step login (the floor) and its peers, in one run.

    python3 bench/run.py            # the full benchmark, writes bench/RESULTS.md
    python3 bench/run.py --smoke    # a few logins per contender; fails loudly

Standard library only: every contender runs in its own virtualenv under
``bench/.venvs/`` (created here when missing or when its requirements change),
through ``bench/harness/cli.py`` (in-process work) and ``bench/harness/load.py``
(the HTTP load generator, a separate process from the gunicorn server).
See ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENVS = BENCH / ".venvs"
VAR = BENCH / "var"
PERIOD = 30
# Users an in-process run may skip when a code is refused at a step boundary
# (harness/cli.py SLACK_USERS).
SLACK_USERS = 5


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    site: str
    requirements: str
    editable_root: bool = False
    packages: tuple[str, ...] = ()
    # False for Django's one-step login: no code, so no TOTP step to wait for.
    two_step: bool = True

    @property
    def python(self) -> Path:
        return VENVS / self.key / "bin" / "python"

    @property
    def gunicorn(self) -> Path:
        return VENVS / self.key / "bin" / "gunicorn"


COMMON_PACKAGES = ("django", "gunicorn", "pyotp", "psycopg")
CONTENDERS = [
    Contender(
        "twostep",
        "django-twostep",
        "twostep_site",
        "twostep.txt",
        editable_root=True,
        packages=(
            "django-twostep",
            "django-otp",
            "djangorestframework",
            "segno",
            "cryptography",
            "djangorestframework-simplejwt",
            "django-rest-knox",
        ),
    ),
    Contender(
        "two_factor",
        "django-two-factor-auth",
        "tfa_site",
        "two_factor.txt",
        packages=("django-two-factor-auth", "django-otp", "django-formtools", "qrcode"),
    ),
    Contender(
        "allauth",
        "django-allauth",
        "allauth_site",
        "allauth.txt",
        packages=("django-allauth", "qrcode", "fido2"),
    ),
    Contender(
        "django",
        "Django one-step login (floor)",
        "django_site",
        "django.txt",
        two_step=False,
    ),
]
BY_KEY = {c.key: c for c in CONTENDERS}
OURS = "twostep"
# Django's own one-step login: the spec's goals are ratios to it ("x one-step login").
FLOOR = "django"

# Django's session engine, the same for every contender (BENCH_SESSIONS in
# benchkit/settings_base.py). Only the HTML login runs under each: the JSON
# flows (the passkey login included), PBKDF2, scale and QR use database sessions.
SESSIONS = {
    "db": "database sessions (Django's default)",
    "cookies": "signed-cookie sessions",
}
ENGINES = {  # what each sets SESSION_ENGINE to; checked in every harness answer
    "db": "django.contrib.sessions.backends.db",
    "cookies": "django.contrib.sessions.backends.signed_cookies",
}
# What a logged-in browser's session cookie holds under each (benchkit/browser.py
# session_cookie_form): the load generator reports it, so a gunicorn server that
# did not get BENCH_SESSIONS is caught.
SESSION_COOKIES = {"db": "key", "cookies": "signed"}


def variant(kind: str, sessions: str = "db") -> str:
    """The name of a flow under a session engine: ``html``, ``html:cookies``."""
    return kind if sessions == "db" else f"{kind}:{sessions}"


def fkey(contender: str, kind: str, sessions: str = "db") -> str:
    """Key of a figure in the results: ``twostep:html``, ``twostep:html:cookies``."""
    return f"{contender}:{variant(kind, sessions)}"


def variant_label(name: str) -> str:
    kind, _, sessions = name.partition(":")
    return f"{kind}, {SESSIONS[sessions or 'db']}"


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- virtualenvs ------------------------------------------------------------------


def python_for_venvs() -> str:
    for candidate in ("python3.13", "python3.12", "python3.11", "python3"):
        found = shutil.which(candidate)
        if not found:
            continue
        ok = subprocess.run(
            [found, "-c", "import sys; sys.exit(sys.version_info < (3, 11))"],
            capture_output=True,
        )
        if ok.returncode == 0:
            return found
    raise BenchError("Python 3.11 or newer is needed for the bench virtualenvs")


def requirements_digest(c: Contender) -> str:
    digest = hashlib.sha256()
    for name in ("common.txt", c.requirements):
        digest.update((BENCH / "requirements" / name).read_bytes())
    if c.editable_root:
        digest.update((ROOT / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def ensure_venv(c: Contender) -> None:
    stamp = VENVS / c.key / ".bench-installed"
    wanted = requirements_digest(c)
    if c.python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    log(f"setting up the {c.label} virtualenv in {VENVS / c.key}")
    if not c.python.exists():
        subprocess.run([python_for_venvs(), "-m", "venv", str(VENVS / c.key)], check=True)
    pip = [str(c.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    command = [*pip, "-r", str(BENCH / "requirements" / c.requirements)]
    if c.editable_root:
        command += ["-e", str(ROOT)]
    subprocess.run(command, check=True)
    stamp.write_text(wanted)


# -- running the harness ------------------------------------------------------------


def harness(
    c: Contender,
    db: str,
    *args: str,
    hasher: str = "md5",
    sessions: str = "db",
    timeout: float = 1800,
) -> dict:
    command = [str(c.python), str(BENCH / "harness" / "cli.py"), "--site", c.site, "--db", db]
    command += ["--hasher", hasher, "--sessions", sessions, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(
            f"{c.label}: {' '.join(args[:1])} failed ({done.returncode}):\n"
            f"{done.stderr[-3000:]}{done.stdout[-1000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


class Pool:
    """Hands out users so that no user logs in twice within one 30 s TOTP step.

    Replay protection (every two-step contender has it) would refuse the second
    login; when the pool wraps, this waits for the next step instead. With
    ``steps=False`` (a one-step login: no code to replay) it never waits.
    """

    def __init__(self, size: int, *, steps: bool = True) -> None:
        self.size = size
        self.steps = steps
        self.cursor = 0
        self.last_step = [-1] * size

    def take(self, count: int) -> int:
        if count > self.size:
            raise BenchError(f"{count} logins need more than the {self.size} seeded users")
        first = self.cursor
        indices = [(first + n) % self.size for n in range(count)]
        newest = max(self.last_step[i] for i in indices) if self.steps else -1
        now_step = int(time.time() // PERIOD)
        if newest >= now_step:
            wait = (newest + 1) * PERIOD - time.time() + 0.5
            log(f"waiting {wait:.0f} s for a new TOTP step before reusing users")
            time.sleep(max(0.0, wait))
        self.cursor = (first + count) % self.size
        return first

    def take_fresh(self, wanted: int) -> tuple[int, int]:
        """(first, limit): at least ``wanted`` consecutive users unused in this step.

        Without steps, any ``wanted`` users from the cursor on: the pool wraps, a
        user logging in more than once.
        """
        if not self.steps:
            return self.cursor, max(wanted, self.size)
        wanted = min(wanted, self.size)
        for _ in range(3):
            now_step = int(time.time() // PERIOD)
            limit = 0
            while (
                limit < self.size and self.last_step[(self.cursor + limit) % self.size] < now_step
            ):
                limit += 1
            if limit >= wanted:
                return self.cursor, limit
            wait = (now_step + 1) * PERIOD - time.time() + 0.5
            log(f"waiting {wait:.0f} s for a new TOTP step before reusing users")
            time.sleep(max(0.0, wait))
        raise BenchError("could not find fresh users")

    def used(self, first: int, count: int) -> None:
        step = int(time.time() // PERIOD)
        for n in range(count):
            self.last_step[(first + n) % self.size] = step
        if count and (first + count) % self.size != self.cursor:
            self.cursor = (first + count) % self.size


# -- gunicorn -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on 127.0.0.1, stopped on exit."""

    def __init__(self, c: Contender, db: str, workers: int, sessions: str = "db") -> None:
        self.c, self.db, self.workers, self.sessions = c, db, workers, sessions
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = os.environ | {
            "BENCH_DB": self.db,
            "BENCH_HASHER": "md5",
            "BENCH_SESSIONS": self.sessions,
            "DJANGO_SETTINGS_MODULE": f"{self.c.site}.settings",
            "PYTHONPATH": f"{BENCH / 'common'}{os.pathsep}{BENCH / 'sites'}",
        }
        self.log_path = VAR / f"gunicorn-{self.c.key}-{self.sessions}.log"
        self.proc = subprocess.Popen(
            [
                str(self.c.gunicorn),
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "60",
                f"{self.c.site}.wsgi:application",
            ],
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn for {self.c.label} exited; see {self.log_path}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/whoami/", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise BenchError(f"gunicorn for {self.c.label} did not answer in 30 s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def load(c: Contender, server: Server, flow: str, first: int, limit: int, pool: Pool, args) -> dict:
    command = [
        str(c.python), str(BENCH / "harness" / "load.py"),
        "--site", c.site, "--port", str(server.port), "--flow", flow,
        "--first", str(first), "--limit", str(limit), "--pool", str(pool.size),
        "--duration", str(args.duration), "--warmup", str(args.http_warmup),
        "--concurrency", str(args.concurrency), "--db", server.db,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + args.http_warmup + 120
    )
    if done.returncode != 0:
        raise BenchError(f"load generator for {c.label} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def http_run(
    results: Results,
    c: Contender,
    kind: str,
    sessions: str,
    server: Server,
    pool: Pool,
    n: int,
    args: argparse.Namespace,
) -> None:
    """One HTTP figure run; anything wrong with it is recorded as void."""
    wanted = http_users_needed(results, c, kind, sessions, args)
    first, limit = pool.take_fresh(wanted)
    what = f"HTTP {c.label} {variant_label(variant(kind, sessions))}: run {n + 1}"
    log(f"{what}/{args.runs_http}")
    try:
        out = load(c, server, kind, first, limit, pool, args)
    except BenchError:
        pool.used(first, limit)
        raise
    pool.used(first, out["users_used"] + 1)
    out["round"] = n
    if out["ran_out_of_users"]:
        results.voids.append(f"{what}: ran out of fresh users ({limit}); seed more with --users")
    if out["errors"] or not out["wrong_code_refused"] or out["ok"] == 0:
        results.voids.append(
            f"{what}: {out['errors']} errors, wrong code refused: {out['wrong_code_refused']}, "
            f"samples: {out['error_samples']}"
        )
    cookies = out.get("session_cookies", [])
    if kind == "html" and out["ok"] and cookies != [SESSION_COOKIES[sessions]]:
        results.voids.append(
            f"{what}: session cookies looked like {cookies}, not "
            f"{SESSION_COOKIES[sessions]!r}: the server did not run {sessions} sessions"
        )
        return
    results.http.setdefault(fkey(c.key, kind, sessions), []).append(out)


# -- statistics -----------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def spread(values: list[float], digits: int = 1) -> str:
    """``median (min-max)`` of the runs."""
    if not values:
        return "n/a"
    fmt = f"{{:.{digits}f}}"
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def ratio(ours: float, peer: float) -> str:
    if not ours or not peer or math.isnan(ours) or math.isnan(peer):
        return "n/a"
    return f"{peer / ours:.2f}x"


# -- the benchmark --------------------------------------------------------------------


@dataclass
class Results:
    mode: str
    database: str
    started: str
    machine: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    available: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)
    inproc: dict = field(default_factory=dict)
    http: dict = field(default_factory=dict)
    pbkdf2: dict = field(default_factory=dict)
    # django-twostep's JSON logins with Django's default hasher: "json" (password
    # + code) and "passkey" (no password), the passkey login's figure (g).
    pbkdf2_api: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    qr: dict = field(default_factory=dict)
    # (h) the hot path: "checks" (variant: self-check), "runs" (variant: one entry
    # per round), "sql" (variant: the queries of one request).
    hotpath: dict = field(default_factory=dict)
    prepare: dict = field(default_factory=dict)
    voids: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: str = ""


def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
    }


def database_url(kind: str, name: str) -> str:
    if kind == "postgres":
        return f"postgres://postgres@127.0.0.1:5432/bench_{name}"
    return f"sqlite:///{VAR / (name + '.sqlite3')}"


def rotated(items: list, run: int) -> list:
    """Alternate who goes first from run to run."""
    shift = run % len(items) if items else 0
    return items[shift:] + items[:shift]


def http_users_needed(results: Results, c: Contender, kind: str, sessions: str, args) -> int:
    """Users one HTTP run may need: what the workers could do at the in-process speed
    (over HTTP a login is slower, so this is an upper bound), or once the figure has
    run, twice what a run of it used."""
    runs = (
        results.inproc.get(fkey(c.key, kind, sessions))
        or results.inproc.get(fkey(c.key, kind))
        or results.inproc.get(fkey(c.key, "html"))
        or []
    )
    fastest = min((r["median"] for r in runs), default=5.0)
    per_second = args.workers * 1000 / max(fastest, 1.0)
    bound = int(per_second * (args.duration + args.http_warmup)) + args.concurrency + 1
    # Far below the bound, so later rounds seldom wait for a new TOTP step; a run
    # that still runs out of users is void (http_run).
    earlier = [run["users_used"] for run in results.http.get(fkey(c.key, kind, sessions), [])]
    if earlier:
        return min(bound, 2 * max(earlier) + args.concurrency + 1)
    return bound


def run(args: argparse.Namespace) -> Results:
    VAR.mkdir(exist_ok=True)
    contenders = [BY_KEY[k] for k in args.only] if args.only else CONTENDERS
    results = Results(
        mode="smoke" if args.smoke else "full",
        database=args.database,
        started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine_info(),
        settings={
            k: getattr(args, k)
            for k in (
                "users",
                "runs",
                "runs_http",
                "logins",
                "warmup",
                "duration",
                "http_warmup",
                "concurrency",
                "workers",
                "pbkdf2_logins",
                "scale_big",
                "sessions",
                "hot_requests",
                "hot_warmup",
            )
        },
    )

    for c in contenders:
        ensure_venv(c)
        results.versions[c.key] = harness(
            c, "sqlite:///:memory:", "versions", *COMMON_PACKAGES, *c.packages
        )

    # Databases, each seeded through the contender's own models.
    md5_db = {c.key: database_url(args.database, f"{c.key}_md5") for c in contenders}
    pools = {c.key: Pool(args.users, steps=c.two_step) for c in contenders}
    # The passkey login's users are others (benchkit/passkey.py), with no TOTP step
    # to respect: their own pool, so they never make the code logins wait.
    passkey_pools = {c.key: Pool(args.users, steps=False) for c in contenders}

    def pool_of(c: Contender, kind: str) -> Pool:
        return (passkey_pools if kind == "passkey" else pools)[c.key]

    for c in contenders:
        log(f"seeding {args.users} users for {c.label}")
        results.prepare[c.key] = harness(c, md5_db[c.key], "prepare", "--users", str(args.users))

    # Self-checks: a contender that cannot log in is "not available", never timed.
    # Every flow under database sessions (the JSON flows, PBKDF2, scale need it),
    # then the HTML login again under each other session engine asked for.
    # Each flow (HTML, JSON, passkey) needs one user, and one more in case a code
    # is read as its step ends.
    for c in contenders:
        first = pools[c.key].take(6)
        check = harness(c, md5_db[c.key], "selfcheck", "--user-index", str(first))
        pools[c.key].used(first, 6)
        results.available[c.key] = check
        for sessions in args.sessions:
            if sessions == "db":
                continue
            first = pools[c.key].take(2)
            other = harness(
                c, md5_db[c.key], "selfcheck", "--user-index", str(first), "--flow", "html",
                sessions=sessions,
            )  # fmt: skip
            pools[c.key].used(first, 2)
            check[variant("html", sessions)] = other["html"]
        for name, outcome in check.items():
            sessions = name.partition(":")[2] or "db"
            engine = outcome.get("session_engine", "")
            if outcome["ok"] and engine != ENGINES[sessions]:
                outcome.update(ok=False, error=f"ran with SESSION_ENGINE {engine!r}")
            state = "ok" if outcome["ok"] else f"NOT AVAILABLE: {outcome['error']}"
            if outcome.get("absent"):
                state = f"absent: {outcome['error']}"
            log(f"self-check {c.label} {variant_label(name)}: {state}")

    def ok(c: Contender, kind: str, sessions: str = "db") -> bool:
        return bool(results.available[c.key].get(variant(kind, sessions), {}).get("ok"))

    def variants_of(c: Contender, engines: list[str]) -> list[tuple[str, str]]:
        """(kind, sessions) this contender runs: HTML under each engine, JSON (and
        django-twostep's passkey login) on db."""
        out = [("html", s) for s in engines if ok(c, "html", s)]
        return out + [(kind, "db") for kind in ("json", "passkey") if ok(c, kind)]

    live = [c for c in contenders if any(v["ok"] for v in results.available[c.key].values())]

    def engine_void(out: dict, sessions: str, what: str) -> bool:
        """The harness ran under another engine than asked: record, do not use."""
        engine = out.get("session_engine", "")
        if engine == ENGINES[sessions]:
            return False
        results.voids.append(f"{what}: asked for {sessions} sessions, ran with {engine!r}")
        return True

    # (c) queries per request, with the query plans.
    for c in live:
        for kind, sessions in variants_of(c, args.sessions):
            first = pool_of(c, kind).take(1)
            out = harness(
                c, md5_db[c.key], "queries", "--flow", kind, "--user-index", str(first),
                "--explain", sessions=sessions,
            )  # fmt: skip
            pool_of(c, kind).used(first, 1)
            if not engine_void(out, sessions, f"queries {kind} {c.label}"):
                results.queries[fkey(c.key, kind, sessions)] = out

    # (a), (d) and (g): in-process complete logins in rounds. Each round runs every
    # figure (the HTML login under each session engine, the JSON and passkey logins)
    # once for every contender, the figures and the contenders alternating (the
    # first changes every round), so each round's ratios to the one-step login are
    # measured within the same minute.
    slots = [("html", s) for s in args.sessions] + [("json", "db"), ("passkey", "db")]
    for n in range(args.runs):
        for kind, sessions in rotated(slots, n):
            for c in rotated([c for c in live if ok(c, kind, sessions)], n):
                total = args.logins + args.warmup + SLACK_USERS
                first = pool_of(c, kind).take(total)
                what = f"in-process {c.label} {variant_label(variant(kind, sessions))}"
                log(f"{what}: run {n + 1}/{args.runs}")
                try:
                    out = harness(
                        c, md5_db[c.key], "inproc", "--flow", kind, "--first", str(first),
                        "--count", str(args.logins), "--warmup", str(args.warmup),
                        "--pool", str(args.users), sessions=sessions,
                    )  # fmt: skip
                except BenchError as exc:
                    results.voids.append(f"{what}: {exc}")
                    continue
                finally:
                    pool_of(c, kind).used(first, total)
                out.pop("ms", None)
                out["round"] = n
                if not engine_void(out, sessions, what):
                    results.inproc.setdefault(fkey(c.key, kind, sessions), []).append(out)

    # (h) the hot path: one request at a time, in django-twostep's site.
    ours_live = next((c for c in live if c.key == OURS), None)
    if ours_live and args.hot_requests > 0:
        hot_path(results, ours_live, md5_db[OURS], pools[OURS], args)

    # (b) over HTTP: gunicorn, load from a separate process; one server per
    # contender and session engine, contenders alternating within each engine.
    # (The JSON flows run on the database-sessions server.)
    if args.duration > 0:
        servers = list(dict.fromkeys([*args.sessions, "db"]))
        for n in range(args.runs_http):
            for sessions in rotated(servers, n):
                for c in rotated(live, n):
                    todo = [k for k, s in variants_of(c, args.sessions) if s == sessions]
                    if not todo:
                        continue
                    with Server(c, md5_db[c.key], args.workers, sessions) as server:
                        for kind in todo:
                            pool = pool_of(c, kind)
                            http_run(results, c, kind, sessions, server, pool, n, args)

    # PBKDF2 (Django's default hasher), reported apart from the framework comparison,
    # in rounds as above: every contender's HTML login (in the smoke run only ours and
    # the one-step login's), and django-twostep's JSON login beside its passkey login.
    pb_db = {c.key: database_url(args.database, f"{c.key}_pbkdf2") for c in live}
    pb_pools = {c.key: Pool(300, steps=c.two_step) for c in live}
    pb_passkey_pool = Pool(300, steps=False)
    ours = BY_KEY.get(OURS)
    passkeys = ours in live and ok(ours, "json") and ok(ours, "passkey")
    pb_slots = [
        (c, "html") for c in live if ok(c, "html") and (not args.smoke or c.key in (OURS, FLOOR))
    ]
    pb_slots += [(ours, "json"), (ours, "passkey")] if passkeys else []
    for c in dict.fromkeys(c for c, _ in pb_slots):
        log(f"seeding PBKDF2 users for {c.label}")
        harness(c, pb_db[c.key], "prepare", "--users", "300", hasher="pbkdf2")
    for n in range(args.runs):
        for c, kind in rotated(pb_slots, n):
            total = args.pbkdf2_logins + 1 + SLACK_USERS
            pool = pb_passkey_pool if kind == "passkey" else pb_pools[c.key]
            first = pool.take(total)
            log(f"PBKDF2 run {n + 1}/{args.runs}: {c.label} {kind}")
            try:
                out = harness(
                    c, pb_db[c.key], "inproc", "--flow", kind, "--first", str(first),
                    "--count", str(args.pbkdf2_logins), "--warmup", "1", "--pool", "300",
                    hasher="pbkdf2",
                )  # fmt: skip
            except BenchError as exc:
                results.voids.append(f"PBKDF2 {c.label} {kind}: {exc}")
                continue
            finally:
                pool.used(first, total)
            out.pop("ms", None)
            out["round"] = n
            if kind == "html":
                results.pbkdf2.setdefault(c.key, []).append(out)
            else:
                results.pbkdf2_api.setdefault(kind, []).append(out)

    if not args.smoke:
        # (e) our cost with few and many enrolled users.
        ours = BY_KEY.get(OURS)
        if ours in contenders:
            try:
                scale_at(results, ours, args)
            except BenchError as exc:
                results.voids.append(f"scale (e): {exc}")

    # (f) QR rendering (the two-step contenders' set-up pages).
    for c in [c for c in contenders if c.two_step]:
        try:
            results.qr[c.key] = harness(
                c,
                md5_db[c.key],
                "qr",
                "--calls",
                str(args.qr_calls),
                "--runs",
                str(max(3, args.runs)),
            )
        except BenchError as exc:
            results.voids.append(f"QR (f) {c.label}: {exc}")
    return results


HOT_USERS = 3  # users one hot-path call uses (harness/cli.py hot_probes)


def hot_path(
    results: Results, ours: Contender, db: str, pool: Pool, args: argparse.Namespace
) -> None:
    """(h) in rounds: each round one harness call per session engine, the bearer and
    anonymous figures with the first engine (they use no session), the verified
    page with every engine; the variants alternate within each call."""
    hot = results.hotpath
    hot.update(checks={}, runs={}, sql={})
    engines = list(args.sessions)
    for n in range(args.runs):
        for sessions in rotated(engines, n):
            groups = ["bearer", "anonymous", "verified"] if sessions == engines[0] else ["verified"]
            first = pool.take(HOT_USERS)
            what = f"hot path (h) {', '.join(groups)}, {SESSIONS[sessions]}"
            log(f"{what}: run {n + 1}/{args.runs}")
            try:
                out = harness(
                    ours, db, "hotpath", "--groups", *groups, "--round", str(n),
                    "--requests", str(args.hot_requests), "--warmup", str(args.hot_warmup),
                    "--user-index", str(first), "--pool", str(pool.size), sessions=sessions,
                )  # fmt: skip
            except BenchError as exc:
                results.voids.append(f"{what}: {exc}")
                continue
            finally:
                pool.used(first, HOT_USERS)
            engine = out.get("session_engine", "")
            if engine != ENGINES[sessions]:
                results.voids.append(f"{what}: asked for {sessions} sessions, ran with {engine!r}")
                continue

            def name_of(variant_name: str, sessions: str = sessions) -> str:
                verified = variant_name.startswith("verified")
                return variant(variant_name, sessions) if verified else variant_name

            for name, check in out["checks"].items():
                if hot["checks"].get(name_of(name), {}).get("ok", True):
                    hot["checks"][name_of(name)] = check
            for name, figure in out["figures"].items():
                hot["sql"][name_of(name)] = figure.pop("sql")
                hot["runs"].setdefault(name_of(name), []).append(figure | {"round": n})


def scale_at(results: Results, ours: Contender, args: argparse.Namespace) -> None:
    sizes = {"small": 100, "big": args.scale_big}
    dbs = {k: database_url(args.database, f"twostep_scale_{k}") for k in sizes}
    for key, size in sizes.items():
        log(f"bulk-seeding {size} enrolled users for {ours.label}")
        results.scale[f"prepare:{key}"] = harness(
            ours, dbs[key], "prepare", "--users", str(size), "--bulk"
        )
    html = results.available[OURS].get("html", {}).get("ok")
    command = "inproc" if html else "core"
    results.scale["measured"] = "complete HTML login" if html else "core flow (no HTML pages yet)"
    pools = {k: Pool(size) for k, size in sizes.items()}
    count, warmup = min(args.logins, 40), min(args.warmup, 5)
    for n in range(args.runs):
        for key in rotated(list(sizes), n):
            first = pools[key].take(count + warmup + SLACK_USERS)
            log(f"scale run {n + 1}/{args.runs}: {sizes[key]} users ({command})")
            out = harness(
                ours, dbs[key], command, "--first", str(first), "--count", str(count),
                "--warmup", str(warmup), "--pool", str(sizes[key]),
            )  # fmt: skip
            pools[key].used(first, count + warmup + SLACK_USERS)
            out.pop("ms", None)
            results.scale.setdefault(key, []).append(out)
    first = pools["big"].take(2)
    if html:
        results.scale["plans"] = harness(
            ours, dbs["big"], "queries", "--user-index", str(first), "--explain"
        )
    else:
        core = harness(
            ours, dbs["big"], "core", "--first", str(first), "--count", "1", "--warmup", "0",
            "--pool", str(sizes["big"]), "--explain",
        )  # fmt: skip
        results.scale["plans"] = {
            "steps": [{"request": "core flow", "plans": core["plans"]}],
            "total": core["queries"],
        }


# -- the report -------------------------------------------------------------------


def write_report(results: Results, path: Path) -> None:
    from report import render  # bench/report.py

    # Hand-written analysis of the last full run of each database (bench/README.md).
    notes = BENCH / ("notes.md" if results.database == "sqlite" else "notes-postgres.md")
    if notes.exists() and results.mode == "full":
        results.notes = notes.read_text()

    path.write_text(render(results))
    name = f"results-{results.mode}" + ("" if results.database == "sqlite" else "-postgres")
    (VAR / f"{name}.json").write_text(json.dumps(results.__dict__, indent=1, default=str))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few logins per contender")
    parser.add_argument("--only", nargs="*", choices=list(BY_KEY), help="contenders to run")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--sessions", nargs="+", choices=list(SESSIONS), default=list(SESSIONS),
        help="Django session engines of the HTML login, (a) (b) (c) (default: db cookies)",
    )  # fmt: skip
    parser.add_argument("--users", type=int, default=None, help="seeded users per contender")
    parser.add_argument(
        "--runs", type=int, default=5,
        help="rounds of the in-process figures, PBKDF2 and the hot path (default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--runs-http", type=int, default=5, help="rounds of the HTTP figures (default 5)"
    )
    parser.add_argument("--logins", type=int, default=100, help="timed logins per run")
    parser.add_argument("--warmup", type=int, default=10, help="untimed logins first")
    parser.add_argument("--duration", type=float, default=10.0, help="HTTP seconds measured")
    parser.add_argument("--http-warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pbkdf2-logins", type=int, default=10)
    parser.add_argument("--scale-big", type=int, default=100_000)
    parser.add_argument("--qr-calls", type=int, default=200)
    parser.add_argument(
        "--hot-requests", type=int, default=1500,
        help="timed requests per variant and round of the hot path (h); 0 skips it",
    )  # fmt: skip
    parser.add_argument("--hot-warmup", type=int, default=150, help="untimed requests first")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--report-only", action="store_true",
        help="rewrite the report from bench/var/results-*.json (after editing bench/notes.md)",
    )  # fmt: skip
    parser.add_argument(
        "--allow-unavailable", action="store_true",
        help="do not fail when a contender's self-check fails (it is reported instead)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.runs_http, args.logins, args.warmup = 1, 1, 3, 1
        args.duration, args.http_warmup, args.qr_calls = 2.0, 0.5, 5
        args.pbkdf2_logins = 3
        args.hot_requests, args.hot_warmup = 300, 30
    if args.users is None:
        args.users = 600 if args.smoke else 4000
    args.sessions = list(dict.fromkeys(args.sessions))
    default = "RESULTS.md" if args.database == "sqlite" else "RESULTS-postgres.md"
    output = args.output or (VAR / "RESULTS-smoke.md" if args.smoke else BENCH / default)
    sys.path[:0] = [str(BENCH), str(BENCH / "common"), str(BENCH / "sites")]
    if args.report_only:
        name = f"results-{'smoke' if args.smoke else 'full'}"
        name += "" if args.database == "sqlite" else "-postgres"
        saved = json.loads((VAR / f"{name}.json").read_text())
        saved["notes"] = ""
        write_report(Results(**saved), output)
        log(f"wrote {output} from the saved results")
        return 0
    try:
        results = run(args)
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
        return 1
    results.machine["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    write_report(results, output)
    log(f"wrote {output}")
    unavailable = [
        f"{BY_KEY[k].label} {variant_label(kind)}: {v['error']}"
        for k, checks in results.available.items()
        for kind, v in checks.items()
        if not v["ok"] and not v.get("absent")
    ]
    unavailable += [
        f"hot path (h) {name}: {check['error']}"
        for name, check in results.hotpath.get("checks", {}).items()
        if not check["ok"]
    ]
    problems = list(results.voids)
    if unavailable and not args.allow_unavailable:
        problems += [f"not available: {u}" for u in unavailable]
    if problems:
        print("\nBENCH FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
