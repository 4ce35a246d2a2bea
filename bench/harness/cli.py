"""The in-process half of the bench; runs inside one contender's virtualenv.

    python harness/cli.py --site tfa_site --db sqlite:///... [--sessions cookies] COMMAND [options]

Every command prints one JSON document on stdout; the orchestrator
(``bench/run.py``) collects them. Commands: ``prepare`` (migrate and seed),
``selfcheck`` (a login works, a wrong code is refused), ``inproc`` (time
complete logins with Django's test client), ``queries`` (SQL per request of
one login, with query plans), ``qr`` (QR rendering per call), ``core`` (our
flows without HTTP), ``hotpath`` (one request at a time: bearer authentications,
the middleware, a verified page; django-twostep's site only), ``versions``.

Flows (``--flow``): ``html`` (the pages), ``json`` (password, then a code, over
the JSON API) and ``passkey`` (a passkey alone over the JSON API; django-twostep
only, whose flow module has ``PASSKEY_STEPS``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(BENCH / "common"), str(BENCH / "sites")]


def setup(args: argparse.Namespace) -> None:
    os.environ["BENCH_DB"] = args.db
    os.environ["BENCH_HASHER"] = args.hasher
    os.environ["BENCH_SESSIONS"] = args.sessions
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{args.site}.settings"
    import django

    django.setup()


def flow_module(site: str):
    return importlib.import_module(f"{site}.flow")


FLOWS = ["html", "json", "passkey"]


def login_name(kind: str, name: str) -> str:
    """Who logs in: the seeded user ``name``, or for the passkey login the passkey
    user beside them (whose one method is a passkey)."""
    if kind == "passkey":
        from benchkit.passkey import passkey_user

        return passkey_user(name)
    return name


def credential(kind: str, username: str, handles: dict[str, str], *, wrong: bool = False):
    """What the user logs in with besides the password: their authenticator app
    (:class:`benchkit.totp.App`), or for the passkey login their passkey
    (:class:`benchkit.passkey.Passkey`, with the user handle the seed kept)."""
    if kind == "passkey":
        from benchkit.passkey import Passkey

        return Passkey(username, handles.get(username), wrong=wrong)
    from benchkit.totp import App

    return App(username, wrong=wrong)


def passkey_handles(args: argparse.Namespace, *kinds: str) -> dict[str, str]:
    """The user handles the seed kept, when a passkey login is asked for."""
    if "passkey" not in kinds:
        return {}
    from benchkit.passkey import load_handles

    handles = load_handles(args.db)
    if not handles:
        raise SystemExit("VOID: no passkeys were seeded into this database (run prepare)")
    return handles


def run_login(flow, kind: str, browser, username: str, code):
    """One complete login; returns the username the protected answer names, or None.

    ``code`` is a :class:`benchkit.totp.App`, read when the flow types the code,
    or for the passkey login a :class:`benchkit.passkey.Passkey` (``username`` is
    then sent nowhere: the passkey names its user).
    """
    from benchkit.totp import PASSWORD

    if kind == "passkey":
        answer, name = flow.passkey_login(browser, code)
        return name if answer is not None else None
    if kind == "html":
        page = flow.html_login(browser, username, PASSWORD, code)
        if page is None:
            return None
        page.expect(200)
        return page.body.strip()
    answer, name = flow.json_login(browser, username, PASSWORD, code)
    return name if answer is not None else None


# Extra users an in-process run may need when a code is refused at a step boundary.
SLACK_USERS = 5


def session_engine() -> str:
    from django.conf import settings

    return settings.SESSION_ENGINE


def check_session_cookie(browser) -> None:
    """After a complete HTML login: the session cookie is what the engine makes.

    Catches a site whose settings do not follow BENCH_SESSIONS (a figure would
    then be labelled with the wrong engine).
    """
    from benchkit.browser import expected_session_cookie, session_cookie_form

    engine = session_engine()
    found = session_cookie_form(browser.session_cookie())
    if found != expected_session_cookie(engine):
        raise AssertionError(f"session cookie is {found!r} with SESSION_ENGINE {engine}")


# -- commands -------------------------------------------------------------------


def cmd_prepare(args: argparse.Namespace) -> dict:
    from benchkit.totp import CHECK_USERS, check_username, username

    if args.db.startswith("sqlite:"):
        path = Path(args.db.split("sqlite://", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        recreate_postgres(args.db)
    setup(args)
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    seed = importlib.import_module(f"{args.site}.seed")
    names = [username(i) for i in range(args.users)]
    names += [check_username(i) for i in range(CHECK_USERS)]
    password_hash = make_password(__import__("benchkit.totp").totp.PASSWORD)
    seeder = seed.seed_bulk if args.bulk else seed.seed
    seeder(names, password_hash)
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            # Move the bulk insert out of the WAL into the database file, as a
            # site that has been running a while has it.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "users": args.users,
        "migrate_s": round(migrated - started, 2),
        "seed_s": round(time.perf_counter() - migrated, 2),
        "bulk": args.bulk,
    }


def recreate_postgres(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = f"host={parsed.hostname or '127.0.0.1'} port={parsed.port or 5432} "
    admin += f"user={parsed.username or 'postgres'} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def cmd_selfcheck(args: argparse.Namespace) -> dict:
    """A right code logs the right user in; a wrong code is refused and logs nobody in."""
    setup(args)
    from benchkit.inproc import ClientBrowser
    from benchkit.totp import CHECK_USERS, check_username, username

    flow = flow_module(args.site)
    out: dict = {}
    kinds = ["html"] + (["json"] if getattr(flow, "JSON_STEPS", None) else [])
    kinds += ["passkey"] if getattr(flow, "PASSKEY_STEPS", None) else []
    if args.flow:
        kinds = [k for k in kinds if k in args.flow]
    for offset, kind in enumerate(kinds):
        absent = getattr(flow, f"{kind}_absent", lambda: None)()
        if absent:
            out[kind] = {"ok": False, "absent": True, "error": absent}
            continue
        try:
            handles = passkey_handles(args, kind)
            who = login_name(kind, username(args.user_index + offset))
            app, browser = credential(kind, who, handles), ClientBrowser()
            landed = run_login(flow, kind, browser, who, app)
            if landed is None and app.crossed_step():  # unlucky: read as the step ended
                who = login_name(kind, username(args.user_index + offset + len(kinds)))
                browser = ClientBrowser()
                landed = run_login(flow, kind, browser, who, credential(kind, who, handles))
            if landed != who:
                raise AssertionError(f"right code: protected answer names {landed!r}, not {who!r}")
            if kind == "html":
                check_session_cookie(browser)
            # A checker user of its own per call (the user index differs from one
            # self-check to the next): django-twostep locks a user for 1 s, 2 s,
            # ... after each wrong code, and the next self-check (another session
            # engine) can follow within the same second.
            checker = login_name(kind, check_username((args.user_index + offset) % CHECK_USERS))
            browser = ClientBrowser()
            wrong = credential(kind, checker, handles, wrong=True)
            landed = run_login(flow, kind, browser, checker, wrong)
            if landed is not None:
                raise AssertionError(f"a wrong code (or password) logged {landed!r} in")
            if kind == "html":
                after = browser.get(flow.PROTECTED)
                if after.status == 200:
                    raise AssertionError("after a wrong code the protected page answers 200")
            out[kind] = {"ok": True, "session_engine": session_engine()}
        except (Exception, SystemExit) as exc:
            out[kind] = {
                "ok": False,
                "session_engine": session_engine(),
                "error": f"{type(exc).__name__}: {exc}"[:500],
                "trace": traceback.format_exc(limit=6)[-1500:],
            }
    return out


def cmd_inproc(args: argparse.Namespace) -> dict:
    setup(args)
    from benchkit.inproc import ClientBrowser
    from benchkit.totp import username

    flow = flow_module(args.site)
    handles = passkey_handles(args, args.flow)
    timings: list[float] = []
    per_step: dict[tuple[int, str], list[float]] = {}
    done = unlucky = n = 0
    while done < args.warmup + args.count:
        if unlucky > SLACK_USERS:
            raise SystemExit("VOID: too many codes refused at step boundaries")
        who = login_name(args.flow, username((args.first + n) % args.pool))
        n += 1
        app = credential(args.flow, who, handles)
        browser = ClientBrowser()
        started = time.perf_counter()
        landed = run_login(flow, args.flow, browser, who, app)
        elapsed = time.perf_counter() - started
        if landed is None and app.crossed_step():
            unlucky += 1  # read just before the step ended; not the contender's fault
            continue
        if landed != who:
            raise SystemExit(f"VOID: login {n} of {who} landed as {landed!r}")
        if args.flow == "html" and done == 0:
            try:
                check_session_cookie(browser)
            except AssertionError as exc:
                raise SystemExit(f"VOID: {exc}") from exc
        if done >= args.warmup:
            timings.append(elapsed * 1000)
            for index, step in enumerate(browser.steps):
                label = f"{step.method} {step.path.split('?')[0]}"
                per_step.setdefault((index, label), []).append(step.ms)
        done += 1
    steps = [
        {"request": label, "median": statistics.median(values)}
        for (_, label), values in sorted(per_step.items())
    ]
    return summary(timings) | {
        "session_engine": session_engine(),
        "ms": [round(t, 3) for t in timings],
        "step_boundary_retries": unlucky,
        "steps": steps,
    }


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"n": len(values), "median": statistics.median(values), "p90": p90}


def cmd_queries(args: argparse.Namespace) -> dict:
    setup(args)
    from benchkit.inproc import ClientBrowser
    from benchkit.totp import username

    flow = flow_module(args.site)
    handles = passkey_handles(args, args.flow)
    for attempt in range(2):
        who = login_name(args.flow, username(args.user_index + attempt))
        browser = ClientBrowser(record_queries=True)
        app = credential(args.flow, who, handles)
        landed = run_login(flow, args.flow, browser, who, app)
        if not (landed is None and app.crossed_step()):
            break
    if landed != who:
        raise SystemExit(f"VOID: {who} landed as {landed!r}")
    if args.flow == "html":
        try:
            check_session_cookie(browser)
        except AssertionError as exc:
            raise SystemExit(f"VOID: {exc}") from exc
    steps = [
        {
            "request": f"{s.method} {s.path.split('?')[0]}",
            "status": s.status,
            "queries": sum(1 for q in s.queries if not is_transaction_control(q)),
            "sql": s.queries,
            "plans": explain(s.queries) if args.explain else [],
        }
        for s in browser.steps
    ]
    return {
        "steps": steps,
        "total": sum(s["queries"] for s in steps),
        "session_engine": session_engine(),
    }


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def is_transaction_control(sql: str) -> bool:
    """BEGIN/COMMIT/SAVEPOINT...: logged by Django on SQLite, not counted as queries."""
    return sql.lstrip().upper().startswith(_CONTROL)


def explain(queries: list[str]) -> list[dict]:
    """The plan of each read or write that can use an index; flags full scans."""
    from django.db import connection

    plans = []
    for sql in queries:
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE"):
            continue
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                    lines = [row[-1] for row in cursor.fetchall()]
                    scans = [line for line in lines if line.startswith("SCAN")]
                else:
                    # PostgreSQL rightly scans tiny or empty tables; forbidding
                    # sequential scans shows whether an index could serve the query.
                    cursor.execute("SET enable_seqscan = off")
                    try:
                        cursor.execute(f"EXPLAIN {sql}")
                        lines = [row[0] for row in cursor.fetchall()]
                    finally:
                        cursor.execute("RESET enable_seqscan")
                    scans = [line.strip() for line in lines if "Seq Scan" in line]
        except Exception as exc:
            lines, scans = [f"(not explained: {exc})"], []
        plans.append({"sql": sql[:400], "plan": lines, "scans": scans})
    return plans


def cmd_qr(args: argparse.Namespace) -> dict:
    """Rendering one otpauth QR code, the way each contender's set-up page does."""
    setup(args)
    uri = (
        "otpauth://totp/Bench%20Site:user000001%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        "&issuer=Bench%20Site&algorithm=SHA1&digits=6&period=30"
    )
    renderers = qr_renderers(args.site)
    out = {}
    for name, render in renderers.items():
        render(uri)  # warm-up (imports, caches)
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            for _ in range(args.calls):
                render(uri)
            runs.append((time.perf_counter() - started) * 1000 / args.calls)
        out[name] = {"ms_per_call": runs, "bytes": len(render(uri))}
    return out


def qr_renderers(site: str) -> dict:
    if site == "twostep_site":
        from django_twostep import qr

        return {"segno SVG (inline)": qr.svg, "segno PNG (base64)": qr.png_base64}
    if site == "allauth_site":
        from allauth.mfa.adapter import get_adapter

        return {"qrcode SVG (build_totp_svg)": get_adapter().build_totp_svg}
    if site == "tfa_site":
        import qrcode
        from qrcode.image.svg import SvgPathImage

        def tfa_svg(uri: str) -> bytes:  # what two_factor's QRGeneratorView does
            import io

            buffer = io.BytesIO()
            qrcode.make(uri, image_factory=SvgPathImage).save(buffer)
            return buffer.getvalue()

        return {"qrcode SVG (QRGeneratorView)": tfa_svg}
    return {}


def cmd_core(args: argparse.Namespace) -> dict:
    """Our flows without HTTP: begin_login + verify_login_code (password already checked)."""
    setup(args)
    from benchkit.totp import code_for, username
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_twostep import flows

    User = get_user_model()
    timings, counts = [], []
    for n in range(args.warmup + args.count):
        who = username((args.first + n) % args.pool)
        code = code_for(who)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            user = User.objects.get(username=who)
            pending = flows.begin_login(user)
            result = flows.verify_login_code(pending.id, code)
            elapsed = time.perf_counter() - started
        if result.user.pk != user.pk:
            raise SystemExit("VOID: core flow verified the wrong user")
        if n >= args.warmup:
            timings.append(elapsed * 1000)
            counts.append(
                sum(1 for q in ctx.captured_queries if not is_transaction_control(q["sql"]))
            )
    plans = explain([q["sql"] for q in ctx.captured_queries]) if args.explain else []
    return summary(timings) | {"queries": statistics.median(counts), "plans": plans}


# -- the hot path (h) ----------------------------------------------------------------

HOT_GROUPS = ["bearer", "anonymous", "verified"]
BEARERS = ["drf", "simplejwt", "knox", "twostep"]
TWOSTEP_MIDDLEWARE = "django_twostep.middleware.TwoStepMiddleware"


def hot_probes(args: argparse.Namespace) -> tuple[dict[str, list], dict[str, dict]]:
    """The variants of each hot-path group asked for, each self-checked first.

    Returns the probes per group and the self-check of every variant (a variant
    whose check fails has no probe: it is not timed).

    - ``bearer``: the same API view with each bearer authentication, through the
      site's middleware; the right token must answer 200 naming the user, a
      well-formed garbage token 401.
    - ``anonymous``: a plain page, no session, through the site's middleware
      (``anonymous-twostep``) and the same without ``TwoStepMiddleware``
      (``anonymous-plain``).
    - ``verified``: a session logged in and verified through django-twostep's pages
      asking ``is_verified()`` (``verified-twostep``, and a session logged in but not
      verified must get a 403), against a session of a one-step login on the
      protected page of a site without ``TwoStepMiddleware`` (``verified-floor``,
      where an anonymous request is redirected to log in).
    """
    from benchkit.hotpath import Probe, Stack, expect
    from benchkit.inproc import ClientBrowser
    from benchkit.totp import App, username
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    if args.site != "twostep_site":
        raise SystemExit("hotpath: django-twostep's bench site only")
    from twostep_site import hotpath as views

    site = Stack(settings.MIDDLEWARE)
    floor = Stack([m for m in settings.MIDDLEWARE if m != TWOSTEP_MIDDLEWARE])
    user = get_user_model().objects.get(username=username(args.user_index % args.pool))
    probes: dict[str, list] = {group: [] for group in args.groups}
    checks: dict[str, dict] = {}

    def checked(name: str, group: str, build) -> None:
        try:
            probe = build()
            problem = probe.check(*probe.stack.call(probe.environ()))
            if problem:
                raise AssertionError(problem)
        except Exception as exc:
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            return
        checks[name] = {"ok": True}
        probes[group].append(probe)

    def bearer(name: str):
        if name not in views.authentication_classes():
            raise LookupError(f"{name}: its package is not installed")
        credentials = views.bearer_credentials(user, name)
        path = f"/hot/bearer/{name}/"
        expect(site, path, 401, headers={"Authorization": credentials.garbage})
        expected = f'"username":"{user.get_username()}"'.encode()
        return Probe(
            f"bearer-{name}", site, path, {"Authorization": credentials.header}, 200, expected
        )

    def cookie_of(client) -> dict[str, str]:
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={value}"}

    def verified():
        flow = flow_module(args.site)
        for attempt in range(2):
            who = username((args.user_index + 1 + attempt) % args.pool)
            app, browser = App(who), ClientBrowser()
            landed = run_login(flow, "html", browser, who, app)
            if not (landed is None and app.crossed_step()):
                break
        if landed != who:
            raise AssertionError(f"the login through the pages landed as {landed!r}, not {who!r}")
        unverified = Client()
        unverified.force_login(get_user_model().objects.get(username=who))
        expect(site, "/hot/verified/", 403, headers=cookie_of(unverified))
        return Probe(
            "verified-twostep", site, "/hot/verified/", cookie_of(browser.client), 200, who.encode()
        )

    def one_step():
        expect(floor, "/whoami/", 302)
        client = Client()
        client.force_login(user)
        expected = user.get_username().encode()
        return Probe("verified-floor", floor, "/whoami/", cookie_of(client), 200, expected)

    for group in args.groups:
        if group == "bearer":
            for name in BEARERS:
                checked(f"bearer-{name}", group, lambda name=name: bearer(name))
        elif group == "anonymous":
            for name, stack in (("anonymous-twostep", site), ("anonymous-plain", floor)):
                checked(
                    name,
                    group,
                    lambda name=name, stack=stack: Probe(name, stack, "/hot/plain/", body=b"ok"),
                )
        else:
            checked("verified-twostep", group, verified)
            checked("verified-floor", group, one_step)
    return probes, checks


def cmd_hotpath(args: argparse.Namespace) -> dict:
    """One round of the hot-path figures: each variant's µs per request and queries.

    Within each group the variants alternate, the first one changing with
    ``--round``; every variant is self-checked first (:func:`hot_probes`).
    """
    setup(args)
    from benchkit.hotpath import queries, time_probe

    probes, checks = hot_probes(args)
    figures = {}
    for group in args.groups:
        found = probes[group]
        shift = args.round % len(found) if found else 0
        for probe in found[shift:] + found[:shift]:
            try:
                sql = queries(probe)
                us = time_probe(probe, args.requests, args.warmup)
            except AssertionError as exc:
                checks[probe.name] = {"ok": False, "error": f"AssertionError: {exc}"[:500]}
                continue
            figures[probe.name] = {
                "us": round(us, 2),
                "queries": len(sql),
                "sql": [q[:2000] for q in sql],
            }
    return {
        "session_engine": session_engine(),
        "requests": args.requests,
        "checks": checks,
        "figures": figures,
    }


def cmd_versions(args: argparse.Namespace) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for dist in args.packages:
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True)
    parser.add_argument("--db", default="sqlite:////tmp/bench.sqlite3")
    parser.add_argument("--hasher", default="md5", choices=["md5", "pbkdf2"])
    parser.add_argument(
        "--sessions", default="db", choices=["db", "cookies"],
        help="Django's session engine: database (default) or signed cookies",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--bulk", action="store_true")
    p = sub.add_parser("selfcheck")
    p.add_argument("--user-index", type=int, default=0)
    p.add_argument("--flow", nargs="*", choices=FLOWS, help="default: every flow")
    for name in ("inproc", "core"):
        p = sub.add_parser(name)
        p.add_argument("--explain", action="store_true")
        p.add_argument("--flow", default="html", choices=FLOWS)
        p.add_argument("--first", type=int, default=0)
        p.add_argument("--count", type=int, default=50)
        p.add_argument("--warmup", type=int, default=5)
        p.add_argument("--pool", type=int, default=300)
    p = sub.add_parser("queries")
    p.add_argument("--flow", default="html", choices=FLOWS)
    p.add_argument("--user-index", type=int, default=0)
    p.add_argument("--explain", action="store_true")
    p = sub.add_parser("qr")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p = sub.add_parser("hotpath")
    p.add_argument("--groups", nargs="+", choices=HOT_GROUPS, default=HOT_GROUPS)
    p.add_argument("--round", type=int, default=0, help="which variant goes first")
    p.add_argument("--requests", type=int, default=1500, help="timed requests per variant")
    p.add_argument("--warmup", type=int, default=150, help="untimed requests first")
    p.add_argument("--user-index", type=int, default=0, help="users used: this one and 2 more")
    p.add_argument("--pool", type=int, default=300, help="seeded users (wraps)")
    p = sub.add_parser("versions")
    p.add_argument("packages", nargs="*")
    args = parser.parse_args()
    result = globals()[f"cmd_{args.command}"](args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
