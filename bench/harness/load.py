"""Load generator: complete two-step logins against a running server, for a bounded time.

Runs in its own process (any bench virtualenv: it needs only pyotp and the
stdlib; the passkey login also ``cryptography``, which django-twostep's has),
never inside the server. Threads share a counter of users so that
every login is a different user; each login is checked (the protected answer
names the right user), and anything else counts as an error.

    python harness/load.py --site tfa_site --port 8123 --flow html --duration 10
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(BENCH / "common"), str(BENCH / "sites")]

from benchkit.browser import SESSION_COOKIE, HttpBrowser, session_cookie_form  # noqa: E402
from benchkit.passkey import Passkey, load_handles, passkey_user  # noqa: E402
from benchkit.totp import CHECK_USERS, PASSWORD, App, check_username, username  # noqa: E402

HANDLES: dict[str, str] = {}  # the passkeys' user handles (--db), for the passkey login


def login_name(kind: str, name: str) -> str:
    """The passkey login has users of its own, one beside each seeded user."""
    return passkey_user(name) if kind == "passkey" else name


def credential(kind: str, who: str, *, wrong: bool = False) -> App | Passkey:
    if kind == "passkey":
        return Passkey(who, HANDLES.get(who), wrong=wrong)
    return App(who, wrong=wrong)


def login(flow, kind: str, browser: HttpBrowser, who: str, code: App | Passkey) -> str | None:
    if kind == "passkey":
        answer, name = flow.passkey_login(browser, code)
        return name if answer is not None else None
    if kind == "html":
        page = flow.html_login(browser, who, PASSWORD, code)
        if page is None:
            return None
        page.expect(200)
        return page.body.strip()
    answer, name = flow.json_login(browser, who, PASSWORD, code)
    return name if answer is not None else None


def wrong_code_refused(flow, kind: str, port: int) -> bool:
    checker = login_name(kind, check_username(int(time.time()) % CHECK_USERS))
    browser = HttpBrowser("127.0.0.1", port)
    if login(flow, kind, browser, checker, credential(kind, checker, wrong=True)) is not None:
        return False
    return kind != "html" or browser.get(flow.PROTECTED).status != 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--flow", default="html", choices=["html", "json", "passkey"])
    parser.add_argument("--db", default="", help="the server's BENCH_DB (the passkey login)")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--limit", type=int, default=300, help="users this run may use")
    parser.add_argument("--pool", type=int, default=300, help="seeded users (wraps)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    flow = importlib.import_module(f"{args.site}.flow")
    if args.flow == "passkey":
        HANDLES.update(load_handles(args.db))

    refused = wrong_code_refused(flow, args.flow, args.port)
    lock = threading.Lock()
    state = {
        "next": 0,
        "ok": 0,
        "errors": 0,
        "unlucky": 0,
        "samples": [],
        "exhausted": False,
        "latencies": [],
        "session_cookies": set(),
    }
    start = time.perf_counter()
    measure_from = start + args.warmup
    stop_at = measure_from + args.duration

    def worker() -> None:
        while True:
            with lock:
                if state["next"] >= args.limit:
                    state["exhausted"] = True
                    return
                n = state["next"]
                state["next"] += 1
            if time.perf_counter() >= stop_at:
                return
            who = login_name(args.flow, username((args.first + n) % args.pool))
            began = time.perf_counter()
            app = credential(args.flow, who)
            landed, raised = None, False
            browser = HttpBrowser("127.0.0.1", args.port)
            try:
                landed = login(flow, args.flow, browser, who, app)
                error = None if landed == who else f"{who} landed as {landed!r}"
            except Exception as exc:
                raised, error = True, f"{type(exc).__name__}: {exc}"[:300]
            ended = time.perf_counter()
            # A code read as its 30 s step ended and refused: neither a login nor an error.
            unlucky = not raised and landed is None and app.crossed_step()
            if measure_from <= ended <= stop_at:
                with lock:
                    if unlucky:
                        state["unlucky"] += 1
                    elif error is None:
                        state["ok"] += 1
                        # Which session engine the server really runs (bench/run.py checks).
                        cookie = browser.cookies.get(SESSION_COOKIE)
                        state["session_cookies"].add(session_cookie_form(cookie))
                        state["latencies"].append((ended - began) * 1000)
                    else:
                        state["errors"] += 1
                        if len(state["samples"]) < 5:
                            state["samples"].append(error)

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(state["latencies"]) or [0.0]
    json.dump(
        {
            "logins_per_s": state["ok"] / args.duration,
            "ok": state["ok"],
            "errors": state["errors"],
            "step_boundary_refusals": state["unlucky"],
            "error_samples": state["samples"],
            "users_used": state["next"],
            "ran_out_of_users": state["exhausted"],
            "wrong_code_refused": refused,
            "session_cookies": sorted(state["session_cookies"]),
            "latency_median_ms": latencies[len(latencies) // 2],
            "duration_s": args.duration,
            "concurrency": args.concurrency,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
