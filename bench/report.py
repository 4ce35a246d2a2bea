"""Turns the results of ``bench/run.py`` into ``bench/RESULTS.md``."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from run import (
    BY_KEY,
    FLOOR,
    OURS,
    SESSIONS,
    fkey,
    med,
    ratio,
    spread,
    variant,
    variant_label,
)

_TABLE = re.compile(r'^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.*?(?:FROM\s+)?"(\w+)"', re.S)
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def label(key: str) -> str:
    return BY_KEY[key].label


def statement_table(sql: str) -> tuple[str, str] | None:
    text = sql.lstrip()
    if text.upper().startswith(_CONTROL):
        return None
    verb = text.split(None, 1)[0].upper()
    if verb == "SELECT":
        match = re.search(r'\bFROM\s+"(\w+)"', text)
    elif verb == "INSERT":
        match = re.search(r'INTO\s+"(\w+)"', text)
    elif verb == "UPDATE":
        match = re.search(r'UPDATE\s+"(\w+)"', text)
    elif verb == "DELETE":
        match = re.search(r'FROM\s+"(\w+)"', text)
    else:
        match = None
    return verb, match.group(1) if match else "?"


def where_queries_go(steps: list[dict]) -> str:
    per_table: dict[str, Counter] = {}
    for step in steps:
        for sql in step["sql"]:
            found = statement_table(sql)
            if found:
                verb, table = found
                per_table.setdefault(table, Counter())[verb] += 1
    parts = []
    for table, verbs in sorted(per_table.items(), key=lambda kv: -sum(kv[1].values())):
        detail = ", ".join(f"{n} {v}" for v, n in verbs.most_common())
        parts.append(f"`{table}` {sum(verbs.values())} ({detail})")
    return "; ".join(parts)


FRAMEWORK_TABLES = ("django_session", "auth_user")


def own_queries(steps: list[dict]) -> int:
    count = 0
    for step in steps:
        for sql in step["sql"]:
            found = statement_table(sql)
            if found and found[1] not in FRAMEWORK_TABLES:
                count += 1
    return count


def medians(runs: list[dict], key: str) -> list[float]:
    return [r[key] for r in runs]


def figure(runs: list[dict], key: str) -> float | None:
    """The median over the runs of one figure, or None when nothing was measured."""
    return med(medians(runs, key)) if runs else None


def engines(r) -> list[str]:
    """The session engines of the HTML figures (older results: database sessions only)."""
    return list(r.settings.get("sessions") or ["db"])


def rounds(count: int | None) -> str:
    return "? rounds" if count is None else f"{count} round{'' if count == 1 else 's'}"


def engine_title(sessions: str) -> str:
    return SESSIONS[sessions][0].upper() + SESSIONS[sessions][1:]


def session_queries(steps: list[dict]) -> int:
    return sum(
        1
        for step in steps
        for sql in step["sql"]
        if (found := statement_table(sql)) and found[1] == "django_session"
    )


# -- ratios to the one-step login ---------------------------------------------------------


def by_round(runs: list[dict], key: str) -> dict[int, float]:
    """Each run's figure by its round (results without rounds: by position)."""
    return {run.get("round", i): run[key] for i, run in enumerate(runs)}


def round_ratios(mine: list[dict], base: list[dict], key: str) -> list[float]:
    """mine / base in each round both ran (a figure's runs of the same round ran
    within the same minute, contenders alternating, so machine drift cancels)."""
    a, b = by_round(mine, key), by_round(base, key)
    return [a[n] / b[n] for n in sorted(a) if n in b and a[n] and b[n]]


def ratio_cell(ratios: list[float], digits: int = 2) -> str:
    """``median (min-max)`` of the per-round ratios, ``1.23x (1.10-1.31x)``."""
    if not ratios:
        return "n/a"
    fmt = f"{{:.{digits}f}}"
    if len(ratios) == 1:
        return f"{fmt.format(ratios[0])}x"
    low, high = fmt.format(min(ratios)), fmt.format(max(ratios))
    return f"{fmt.format(med(ratios))}x ({low}-{high}x)"


def floor_cell(r, key: str, mine: list[dict], base: list[dict], field: str) -> str:
    """The "x one-step login" cell of contender ``key``'s row."""
    if key == FLOOR:
        return "1.00x (floor)"
    return ratio_cell(round_ratios(mine, base, field))


def hot_runs(r, name: str) -> list[dict]:
    return (r.hotpath or {}).get("runs", {}).get(name, [])


def hot_queries(r, name: str) -> int | None:
    """Queries of one request of a hot-path variant (exact: the same every round)."""
    runs = hot_runs(r, name)
    return max(run["queries"] for run in runs) if runs else None


# -- the spec's section-6 goals -------------------------------------------------------------

GOAL_HTML = 1.8  # HTML two-step login time, x the one-step login's (in-process)
GOAL_HTTP = 0.5  # HTML two-step logins/s over HTTP, x the one-step login's
GOAL_JSON = 1.2  # JSON two-request login time, x the one-step login's (in-process)
GOAL_BEARER = 1.1  # a bearer request, x DRF's TokenAuthentication
GOAL_BEARER_QUERIES = 1
GOAL_MIDDLEWARE = 1.05  # an anonymous request through TwoStepMiddleware, x without it


@dataclass
class Goal:
    """One goal of the spec's section 6, judged from this run's figures."""

    group: str  # "(1) login", "(2) bearer", "(3) pages"
    name: str
    goal: str
    figure: str
    met: bool | None  # None: not measured in this run


def speed_goal(
    group: str, name: str, ratios: list[float], limit: float, *, at_least: bool = False
) -> Goal:
    goal = f"{'>=' if at_least else '<='} {limit:g}x"
    if not ratios:
        return Goal(group, name, goal, "not measured", None)
    value = med(ratios)
    met = value >= limit if at_least else value <= limit
    # Three decimals, so a figure just past its limit does not read as the limit.
    return Goal(group, name, goal, ratio_cell(ratios, 3), met)


SHORT_ENGINE = {"db": "database sessions", "cookies": "signed-cookie sessions"}


def goals(r) -> list[Goal]:
    """Every goal, each as a ratio (the median of the per-round ratios) and its verdict."""
    out = []
    login = "(1)"
    for sessions in engines(r):
        mine = r.inproc.get(fkey(OURS, "html", sessions), [])
        base = r.inproc.get(fkey(FLOOR, "html", sessions), [])
        name = f"HTML login, in-process, {SHORT_ENGINE[sessions]}: time x one-step login (a)"
        out.append(speed_goal(login, name, round_ratios(mine, base, "median"), GOAL_HTML))
    for sessions in engines(r):
        mine = r.http.get(fkey(OURS, "html", sessions), [])
        base = r.http.get(fkey(FLOOR, "html", sessions), [])
        ratios = round_ratios(mine, base, "logins_per_s")
        name = f"HTML login, over HTTP, {SHORT_ENGINE[sessions]}: logins/s x one-step login (b)"
        out.append(speed_goal(login, name, ratios, GOAL_HTTP, at_least=True))
    mine = r.inproc.get(fkey(OURS, "json"), [])
    base = r.inproc.get(fkey(FLOOR, "html"), [])
    name = "JSON two-request login, in-process: time x one-step login (d)"
    out.append(speed_goal(login, name, round_ratios(mine, base, "median"), GOAL_JSON))

    bearer = "(2)"
    ratios = round_ratios(hot_runs(r, "bearer-twostep"), hot_runs(r, "bearer-drf"), "us")
    name = "bearer request: time x DRF's `TokenAuthentication` (h)"
    out.append(speed_goal(bearer, name, ratios, GOAL_BEARER))
    queries = hot_queries(r, "bearer-twostep")
    goal = f"{GOAL_BEARER_QUERIES} query"
    name = "bearer request: queries (h)"
    if queries is None:
        out.append(Goal(bearer, name, goal, "not measured", None))
    else:
        out.append(Goal(bearer, name, goal, str(queries), queries <= GOAL_BEARER_QUERIES))

    pages = "(3)"
    for sessions in engines(r):
        ours_q = hot_queries(r, variant("verified-twostep", sessions))
        floor_q = hot_queries(r, variant("verified-floor", sessions))
        name = f"verified page, {SHORT_ENGINE[sessions]}: queries, ours vs one-step login's (h)"
        goal = "no query more"
        if ours_q is None or floor_q is None:
            out.append(Goal(pages, name, goal, "not measured", None))
        else:
            out.append(Goal(pages, name, goal, f"{ours_q} vs {floor_q}", ours_q <= floor_q))
    ratios = round_ratios(hot_runs(r, "anonymous-twostep"), hot_runs(r, "anonymous-plain"), "us")
    name = "anonymous request: time x without `TwoStepMiddleware` (h)"
    out.append(speed_goal(pages, name, ratios, GOAL_MIDDLEWARE))
    return out


def verdict_word(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def goals_summary(r) -> list[str]:
    """The summary: a table of the goals, and one line counting them."""
    if OURS not in r.versions:
        return ["django-twostep is not in this run (`--only`); no goal judged.", ""]
    if FLOOR not in r.versions:
        note = "Django's one-step login is not in this run (`--only`): no login goal is judged."
        return [note, *goals_table(r)]
    return goals_table(r)


def goals_table(r) -> list[str]:
    found = goals(r)
    lines = ["| | goal | target | measured | verdict |", "|---|---|---|---|---|"]
    for g in found:
        lines.append(f"| {g.group} | {g.name} | {g.goal} | {g.figure} | {verdict_word(g.met)} |")
    judged = [g for g in found if g.met is not None]
    met = sum(1 for g in judged if g.met)
    head = f"**{met} of {len(found)} goals met**"
    if len(judged) < len(found):
        head += f" ({len(found) - len(judged)} not measured)"
    return ["", head + ".", "", *lines, ""]


def flow_steps(key: str, name: str) -> str | None:
    """A contender's description of one of its flows (``JSON_STEPS``, ``PASSKEY_STEPS``)."""
    return getattr(__import__(f"{BY_KEY[key].site}.flow").flow, name, None)


def has_json(key: str) -> bool:
    """Whether a contender has a JSON login (django-two-factor-auth and Django do not)."""
    return flow_steps(key, "JSON_STEPS") is not None


def passkey_figures(r) -> dict[str, float | None]:
    """django-twostep's JSON logins, in-process medians: password + code and passkey,
    with MD5 (the comparison's hasher) and with PBKDF2 (Django's default)."""
    return {
        "json:md5": figure(r.inproc.get(fkey(OURS, "json"), []), "median"),
        "passkey:md5": figure(r.inproc.get(fkey(OURS, "passkey"), []), "median"),
        "json:pbkdf2": figure(r.pbkdf2_api.get("json", []), "median"),
        "passkey:pbkdf2": figure(r.pbkdf2_api.get("passkey", []), "median"),
    }


def passkey_verdict(r) -> str | None:
    """One line: how much faster the passkey login is than the password + code login."""
    if not r.available.get(OURS, {}).get("passkey"):
        return None
    if not r.available[OURS]["passkey"].get("ok"):
        return "**Passkey login**: **not available** in this run."
    f = passkey_figures(r)
    parts = []
    for hasher, name in (("pbkdf2", "Django's default hasher (PBKDF2)"), ("md5", "MD5")):
        json_ms, passkey_ms = f[f"json:{hasher}"], f[f"passkey:{hasher}"]
        if json_ms and passkey_ms:
            parts.append(
                f"**{json_ms / passkey_ms:.2f}x** as fast as the password + code JSON login "
                f"with {name} ({passkey_ms:.1f} ms against {json_ms:.1f} ms)"
            )
        else:
            parts.append(f"not measured with {name}")
    return (
        "**Passkey login** (django-twostep's JSON API, a passkey alone, no password hash): "
        + "; ".join(parts)
        + ". See (g)."
    )


def render(results) -> str:
    r = results
    out: list[str] = []
    w = out.append
    keys = [k for k in BY_KEY if k in r.versions]
    html_engines = engines(r)
    w(
        "# Benchmark: django-twostep vs Django's one-step login (the floor), "
        "django-two-factor-auth and django-allauth\n"
    )
    w(
        f"Generated by `make bench` ({r.mode} run) on {r.started}. "
        f"Database: {'SQLite (WAL) file' if r.database == 'sqlite' else 'PostgreSQL'}, "
        "the same engine and settings for every contender. "
        "Every figure is the median of its runs with the range (min-max) in brackets. "
        "The figures run in rounds: each round runs every contender once, the first one "
        "changing every round. *x one-step login* is a contender's time / the one-step "
        "login's time (for HTTP: its logins/s / the one-step login's), taken in each round "
        "and reported as the median of those per-round ratios with their range in brackets, "
        "so drift of the machine between rounds cancels; below 1.00x for times (above for "
        "logins/s) would be faster than Django's own login. The peers' columns are "
        "peer / ours for times and ours / peer for throughput: above 1.00x means "
        "django-twostep is faster.\n"
    )
    session_share = [
        f"{session_queries(q['steps'])} of {label(k)}'s {q['total']}"
        for k in keys
        if (q := r.queries.get(fkey(k, "html")))
    ]
    w(
        "Session engine: the HTML login, figures (a), (b) and (c), is measured under "
        f"{' and '.join(SESSIONS[s] for s in html_engines)}, the same for every contender. "
        "With database sessions Django's session backend makes a large share of the queries "
        "of every contender's login"
        + (f" (on `django_session`: {', '.join(session_share)})" if session_share else "")
        + "; signed-cookie sessions make none. The JSON logins, PBKDF2, scale and QR "
        "figures use database sessions.\n"
    )

    # Summary
    w("## Summary: the spec's section-6 goals for django-twostep\n")
    w(
        "Each goal is a ratio to a floor measured in the same run, side by side: Django's "
        "one-step login for the logins (a), (b), (d); DRF's `TokenAuthentication` for a "
        "bearer request, and the same site without `TwoStepMiddleware` (or a one-step "
        "login's session) for the pages, in the hot path (h). Times are the median of the "
        "per-round ratios, the range of those ratios in brackets; the verdict reads the "
        "median."
    )
    if r.mode == "smoke":
        w(
            "\n*Smoke run: one round of a few logins or requests per figure, so the speed "
            "verdicts below prove nothing; the query counts are exact.*"
        )
    out.extend(goals_summary(r))
    passkey_line = passkey_verdict(r)
    if passkey_line:
        w(f"- {passkey_line}")
        w("")

    # Availability
    w("## Contenders and self-checks\n")
    w("Before any timing each flow must log the right user in (the protected page answers 200")
    w("with the username) and refuse a wrong code (the one-step login: a wrong password); a")
    w("flow that fails is *not available* and is not timed. The HTML login is checked under")
    w("every session engine, including that the session cookie is the engine's (a session")
    w("key, or signed session data). Every timed login is checked the same way, or the")
    w("figure is void. The hot path's variants are self-checked too: see (h).\n")
    columns = [variant("html", s) for s in dict.fromkeys(["db", *html_engines])] + ["json"]
    if any("passkey" in r.available.get(k, {}) for k in keys):
        columns.append("passkey")
    headings = {"json": "JSON login", "passkey": "passkey login (JSON)"}
    w(
        "| contender | "
        + " | ".join(
            headings.get(c) or f"HTML login, {SESSIONS[c.partition(':')[2] or 'db']}"
            for c in columns
        )
        + " |"
    )
    w("|---|" + "---|" * len(columns))
    missing = {"json": "(no JSON API)", "passkey": "(not measured: ours only)"}
    if FLOOR in keys:
        missing_floor = {"json": "(one-step: HTML only)", "passkey": "(one-step: HTML only)"}
    for k in keys:
        cells = []
        for column in columns:
            v = r.available.get(k, {}).get(column)
            if v is None:
                gone = missing_floor if k == FLOOR else missing
                cells.append(gone.get(column, "n/a"))
            elif v["ok"]:
                cells.append("ok")
            elif v.get("absent"):
                cells.append(f"absent: {v['error']}")
            else:
                cells.append(f"**not available**: `{v['error'][:160]}`")
        w(f"| {label(k)} | " + " | ".join(cells) + " |")
    w("")
    if r.voids:
        w("**Void figures** (a login did not land, or a wrong code was accepted):\n")
        for v in r.voids:
            w(f"- {v[:400]}")
        w("")

    # (a)
    w("## (a) In-process complete HTML two-step login (MD5 hasher)\n")
    w(
        f"Django's test client with CSRF checks on, a fresh client per login, "
        f"{r.settings['logins']} timed logins per run after {r.settings['warmup']} untimed, "
        f"each login a different user; {rounds(r.settings.get('runs'))}. Django's one-step "
        "login (the floor) is contrib.auth's `LoginView`: no second page.\n"
    )
    for sessions in html_engines:
        w(f"### {engine_title(sessions)}\n")
        w("| contender | median ms | p90 ms | x one-step login | peer / ours (median) | requests |")
        w("|---|---|---|---|---|---|")
        ours_med = figure(r.inproc.get(fkey(OURS, "html", sessions), []), "median")
        base = r.inproc.get(fkey(FLOOR, "html", sessions), [])
        for k in keys:
            runs = r.inproc.get(fkey(k, "html", sessions), [])
            q = r.queries.get(fkey(k, "html", sessions)) or r.queries.get(fkey(k, "html"), {})
            steps = len(q.get("steps", [])) or "n/a"
            if not runs:
                w(f"| {label(k)} | not available | | | | |")
                continue
            m = figure(runs, "median")
            w(
                f"| {label(k)} | {spread(medians(runs, 'median'))} "
                f"| {spread(medians(runs, 'p90'))} "
                f"| {floor_cell(r, k, runs, base, 'median')} "
                f"| {'1.00x (ours)' if k == OURS else ratio(ours_med or 0, m)} | {steps} |"
            )
        w("")
        if any(r.inproc.get(fkey(k, "html", sessions)) for k in keys):
            w("Median ms of each request (median over the runs):\n")
        for k in keys:
            runs = r.inproc.get(fkey(k, "html", sessions), [])
            if runs and runs[0].get("steps"):
                parts = []
                for i, step in enumerate(runs[0]["steps"]):
                    values = [run["steps"][i]["median"] for run in runs if len(run["steps"]) > i]
                    parts.append(f"{step['request']} {med(values):.1f}")
                w(f"- {label(k)}: " + ", ".join(parts))
        w("")

    # (b)
    w("## (b) Over HTTP: gunicorn, 2 sync workers, 127.0.0.1\n")
    s = r.settings
    w(
        f"Load from a separate process ({s['concurrency']} client threads, a new connection per "
        f"request), {s['duration']:g} s measured after {s['http_warmup']:g} s of warm-up, "
        f"{rounds(r.settings.get('runs_http'))}. A login counts when its protected "
        "answer names the right user; anything else is an error. Signed-cookie sessions "
        "need no store shared by the two workers (a cache backend would need a cache "
        "server for that). *x one-step login* is logins/s / the one-step login's logins/s "
        "(the JSON login: against the one-step HTML login with database sessions).\n"
    )
    tables = [("html", sessions) for sessions in html_engines] + [("json", "db")]
    for kind, sessions in tables:
        if kind == "html":
            w(f"### HTML login, {SESSIONS[sessions]}\n")
        else:
            w("### JSON login (database sessions: see (d))\n")
        w(
            "| contender | complete logins/s | errors | x one-step login | ours / peer "
            "| latency median ms |"
        )
        w("|---|---|---|---|---|---|")
        ours_rate = figure(r.http.get(fkey(OURS, kind, sessions), []), "logins_per_s")
        base = r.http.get(fkey(FLOOR, "html", sessions), [])
        for k in keys:
            runs = r.http.get(fkey(k, kind, sessions), [])
            if not runs:
                if kind == "html" or has_json(k):
                    w(f"| {label(k)} | not available | | | | |")
                continue
            rate = figure(runs, "logins_per_s")
            errors = str(sum(x["errors"] for x in runs))
            unlucky = sum(x.get("step_boundary_refusals", 0) for x in runs)
            if unlucky:
                errors += f" (+{unlucky} codes read as their step ended)"
            rel = "1.00x (ours)" if k == OURS else ratio(rate or 0, ours_rate or 0)
            w(
                f"| {label(k)} | {spread(medians(runs, 'logins_per_s'))} | {errors} "
                f"| {floor_cell(r, k, runs, base, 'logins_per_s')} "
                f"| {rel} | {spread(medians(runs, 'latency_median_ms'), 0)} |"
            )
        w("")

    # (c)
    w("## (c) SQL queries per request of one complete login\n")
    w("Transaction control (BEGIN/COMMIT/SAVEPOINT) is not counted.\n")
    for kind, sessions in tables:
        w(
            f"### HTML login, {SESSIONS[sessions]}\n"
            if kind == "html"
            else "### JSON login (database sessions)\n"
        )
        w("| contender | queries per request | total | on `django_session` | the package's own |")
        w("|---|---|---|---|---|")
        for k in keys:
            q = r.queries.get(fkey(k, kind, sessions))
            if not q:
                if kind == "html" or has_json(k):
                    w(f"| {label(k)} | not available | | | |")
                continue
            per = ", ".join(f"{st['request']} **{st['queries']}**" for st in q["steps"])
            w(
                f"| {label(k)} | {per} | **{q['total']}** | {session_queries(q['steps'])} "
                f"| {own_queries(q['steps'])} |"
            )
        w("")
    w(
        "*The package's own*: queries on tables other than Django's sessions and users "
        f"({', '.join(f'`{t}`' for t in FRAMEWORK_TABLES)}): what the two-factor "
        "package itself adds to a login."
    )
    w("")
    w("Where the queries go (table: statements):\n")
    for kind, sessions in tables:
        for k in keys:
            q = r.queries.get(fkey(k, kind, sessions))
            if q:
                where = where_queries_go(q["steps"]) or "no query"
                w(f"- {label(k)} {variant_label(variant(kind, sessions))}: {where}")
    w("")
    scans = []
    for name, q in r.queries.items():
        for st in q["steps"]:
            for plan in st.get("plans", []):
                if plan["scans"]:
                    scans.append(
                        f"{name} {st['request']}: {plan['scans']} for `{plan['sql'][:160]}`"
                    )
    how = (
        ""
        if r.database == "sqlite"
        else " with sequential scans disabled, so a scan means no usable index"
    )
    w(f"Query plans (EXPLAIN of every SELECT/UPDATE/DELETE of those logins{how}): ")
    if scans:
        w("full scans found:\n")
        for line in scans:
            w(f"- {line}")
    else:
        w("no full table scan in any contender's login.")
    w("")

    # (d)
    w("## (d) JSON login: django-twostep API vs allauth headless\n")
    w(
        "In-process, same method as (a), with database sessions only: allauth's headless "
        '"app" client names a server-side session in its `X-Session-Token` (it looks the '
        "session up by key, which signed-cookie sessions cannot do), and django-twostep's "
        "JSON login uses bearer tokens and no session at all. *x one-step login*: against "
        "Django's one-step HTML login with database sessions, in the same rounds (the "
        "spec's goal for django-twostep's two-request JSON login: at most "
        f"{GOAL_JSON:g}x). Requests per contender:\n"
    )
    for k in keys:
        steps = flow_steps(k, "JSON_STEPS")
        if steps:
            w(f"- {label(k)}: {steps}")
    w("")
    w("| contender | median ms | p90 ms | x one-step login | peer / ours | queries |")
    w("|---|---|---|---|---|---|")
    ours_json = figure(r.inproc.get(f"{OURS}:json", []), "median")
    base = r.inproc.get(fkey(FLOOR, "html"), [])
    for k in keys:
        runs = r.inproc.get(f"{k}:json", [])
        if not has_json(k):
            continue
        if not runs:
            w(f"| {label(k)} | not available | | | | |")
            continue
        m = figure(runs, "median")
        q = r.queries.get(f"{k}:json", {}).get("total", "n/a")
        rel = "1.00x (ours)" if k == OURS else ratio(ours_json or 0, m)
        w(
            f"| {label(k)} | {spread(medians(runs, 'median'))} | {spread(medians(runs, 'p90'))} "
            f"| {floor_cell(r, k, runs, base, 'median')} | {rel} | {q} |"
        )
    w("")

    # PBKDF2
    if r.pbkdf2:
        w("## Default hasher (PBKDF2), in-process HTML login\n")
        w("The same flow with Django's default password hasher: the hash dominates, which is")
        w("why the framework comparison above uses MD5 (the smoke run measures only ours and")
        w("the one-step login's here).\n")
        w("| contender | median ms | p90 ms | x one-step login | peer / ours |")
        w("|---|---|---|---|---|")
        ours_pb = med(medians(r.pbkdf2.get(OURS, []), "median"))
        base = r.pbkdf2.get(FLOOR, [])
        for k in keys:
            runs = r.pbkdf2.get(k, [])
            if not runs:
                why = "not measured" if r.mode == "smoke" else "not available"
                w(f"| {label(k)} | {why} | | | |")
                continue
            m = med(medians(runs, "median"))
            rel = "1.00x (ours)" if k == OURS else ratio(ours_pb, m)
            w(
                f"| {label(k)} | {spread(medians(runs, 'median'))} | "
                f"{spread(medians(runs, 'p90'))} | {floor_cell(r, k, runs, base, 'median')} "
                f"| {rel} |"
            )
        w("")

    # (e)
    if r.scale:
        w("## (e) django-twostep with 100 vs 100,000 enrolled users\n")
        big = r.settings.get("scale_big", 100000)
        w(
            f"Measured: {r.scale.get('measured', 'n/a')}. Both populations bulk-inserted "
            f"(users, TOTP devices with encrypted secrets, 10 recovery codes each).\n"
        )
        w("| enrolled users | median ms | p90 ms | queries |")
        w("|---|---|---|---|")
        for key, size in (("small", 100), ("big", big)):
            runs = r.scale.get(key, [])
            if runs:
                qs = runs[0].get("queries", r.scale.get("plans", {}).get("total", "see (c)"))
                w(
                    f"| {size:,} | {spread(medians(runs, 'median'), 2)} | "
                    f"{spread(medians(runs, 'p90'), 2)} | {qs} |"
                )
        small = med(medians(r.scale.get("small", []), "median"))
        large = med(medians(r.scale.get("big", []), "median"))
        if small and large:
            w(f"\n100,000 / 100 users: {large / small:.2f}x.")
        plans = r.scale.get("plans")
        if plans:
            explain = "SQLite `EXPLAIN QUERY PLAN`" if r.database == "sqlite" else "`EXPLAIN`"
            w(f"\nQuery plans at 100,000 users ({explain}):\n")
            for st in plans["steps"]:
                for plan in st["plans"]:
                    flag = " **FULL SCAN**" if plan["scans"] else ""
                    steps = "; ".join(plan["plan"])
                    w(f"- {st['request']}: `{plan['sql'][:110]}` -> {steps}{flag}")
        w("")

    # (f)
    w("## (f) QR code rendering, per call\n")
    w("| contender | renderer | ms per call | bytes |")
    w("|---|---|---|---|")
    for k in keys:
        for name, v in r.qr.get(k, {}).items():
            w(f"| {label(k)} | {name} | {spread(v['ms_per_call'], 2)} | {v['bytes']:,} |")
    w("")

    # (g)
    if r.available.get(OURS, {}).get("passkey"):
        render_passkey(r, w)

    # (h)
    render_hotpath(r, w)

    # Versions and machine
    w("## Versions and machine\n")
    m = r.machine
    w(f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory')} RAM; {m.get('os')}")
    w(
        f"- Load average (1, 5, 15 min) before the run: {m.get('load_before', '?')}; after: "
        f"{m.get('load_after', '?')}. Above about 0.5 before the run, other work shared the "
        "2 cores: the absolute figures are then inflated and noisier (see the ranges); the "
        "ratios, measured alternating within the same minutes, hold up better."
    )
    for k in keys:
        v = dict(r.versions[k])
        py = v.pop("python", "?")
        w(f"- {label(k)} virtualenv: Python {py}; " + ", ".join(f"{n} {x}" for n, x in v.items()))
    w(f"- Settings: {', '.join(f'{k}={v}' for k, v in r.settings.items())}")
    w("")
    if r.notes:
        w("## Notes\n")
        w(r.notes)
    return "\n".join(out) + "\n"


def render_passkey(r, w) -> None:
    """(g): django-twostep's passkey login beside its password + code JSON login."""
    w("## (g) Passkey login beside the password + code login (django-twostep's JSON API)\n")
    w(
        "A passkey alone logs in (a discoverable credential with user verification counts "
        "as two factors), so no password is hashed. Each seeded user has a passkey, "
        "registered through django-twostep's own registration flow; the bench's software "
        "authenticator (`bench/common/benchkit/passkey.py`) signs each login's challenge "
        "with the user's P-256 key, as a synced passkey does (counter 0, backed up). Both "
        "logins are three requests, in-process as in (d) and over HTTP as in (b), with "
        "database sessions (neither uses a session); the peers' passkey logins are not "
        "measured. *x one-step login*: against Django's one-step HTML login (database "
        "sessions) with the same hasher, in the same rounds; over HTTP, logins/s against "
        "its logins/s.\n"
    )
    for name in ("JSON_STEPS", "PASSKEY_STEPS"):
        steps = flow_steps(OURS, name)
        if steps:
            what = "password + code" if name == "JSON_STEPS" else "passkey"
            w(f"- {what}: {steps}")
    w("")
    w(
        "| login | password hasher | in-process median ms | p90 ms | x one-step login "
        "| password + code / passkey | queries | over HTTP, logins/s | x one-step login |"
    )
    w("|---|---|---|---|---|---|---|---|---|")
    md5_floor = r.inproc.get(fkey(FLOOR, "html"), [])
    pbkdf2_floor = r.pbkdf2.get(FLOOR, [])
    rows = [
        ("password + code", "MD5 (the comparison's)", r.inproc.get(fkey(OURS, "json"), []), "json"),
        ("passkey", "none run (MD5 site)", r.inproc.get(fkey(OURS, "passkey"), []), "passkey"),
        ("password + code", "PBKDF2 (Django's default)", r.pbkdf2_api.get("json", []), None),
        ("passkey", "none run (PBKDF2 site)", r.pbkdf2_api.get("passkey", []), None),
    ]
    baseline: float | None = None
    http_floor = r.http.get(fkey(FLOOR, "html"), [])
    for what, hasher, runs, http_kind in rows:
        if what == "password + code":
            baseline = figure(runs, "median")
        if not runs:
            w(f"| {what} | {hasher} | not measured | | | | | | |")
            continue
        m = figure(runs, "median")
        rel = "1.00x" if what == "password + code" else ratio(m or 0, baseline or 0)
        floor_runs = md5_floor if http_kind else pbkdf2_floor
        x_floor = ratio_cell(round_ratios(runs, floor_runs, "median"))
        queries = r.queries.get(fkey(OURS, http_kind), {}).get("total", "") if http_kind else ""
        http_runs = r.http.get(fkey(OURS, http_kind), []) if http_kind else []
        rate = spread(medians(http_runs, "logins_per_s")) if http_runs else ""
        if http_runs and any(x["errors"] for x in http_runs):
            rate += f" ({sum(x['errors'] for x in http_runs)} errors)"
        http_x = ratio_cell(round_ratios(http_runs, http_floor, "logins_per_s")) if rate else ""
        w(
            f"| {what} | {hasher} | {spread(medians(runs, 'median'))} "
            f"| {spread(medians(runs, 'p90'))} | {x_floor} | {rel} | {queries} | {rate} "
            f"| {http_x} |"
        )
    w("")
    w("Median ms of each request, MD5 site (median over the runs):\n")
    for kind, what in (("json", "password + code"), ("passkey", "passkey")):
        runs = r.inproc.get(fkey(OURS, kind), [])
        if runs and runs[0].get("steps"):
            parts = []
            for i, step in enumerate(runs[0]["steps"]):
                values = [run["steps"][i]["median"] for run in runs if len(run["steps"]) > i]
                parts.append(f"{step['request']} {med(values):.1f}")
            w(f"- {what}: " + ", ".join(parts))
    q = r.queries.get(fkey(OURS, "passkey"))
    if q:
        per = ", ".join(f"{st['request']} **{st['queries']}**" for st in q["steps"])
        w(f"- passkey login, queries per request: {per}; {where_queries_go(q['steps'])}")
    w("")


HOT_LABELS = {
    "bearer-drf": "DRF `TokenAuthentication` (the floor)",
    "bearer-simplejwt": "djangorestframework-simplejwt `JWTAuthentication`",
    "bearer-knox": "django-rest-knox `TokenAuthentication`",
    "bearer-twostep": "django-twostep `BearerTokenAuthentication`",
    "anonymous-plain": "without `TwoStepMiddleware` (the floor)",
    "anonymous-twostep": "with `TwoStepMiddleware` (django-twostep's site)",
    "verified-floor": "one-step login, no `TwoStepMiddleware`, `login_required` page (the floor)",
    "verified-twostep": "two-step login, verified; `TwoStepMiddleware`, page asks `is_verified()`",
}


def hot_table(r, w, names: list[str], floor: str, heading: str, against: str) -> None:
    """One hot-path table: each variant's µs, x the floor variant, queries."""
    w(f"| {heading} | median µs per request | {against} | queries | tables |")
    w("|---|---|---|---|---|")
    checks = r.hotpath.get("checks", {})
    base = hot_runs(r, floor)
    for name in names:
        runs = hot_runs(r, name)
        what = HOT_LABELS[name.partition(":")[0]]
        if not runs:
            check = checks.get(name)
            why = f"**not available**: `{check['error'][:160]}`" if check else "not measured"
            w(f"| {what} | {why} | | | |")
            continue
        x = "1.00x (floor)" if name == floor else ratio_cell(round_ratios(runs, base, "us"))
        sql = r.hotpath.get("sql", {}).get(name, [])
        tables = ", ".join(f"`{found[1]}`" for q in sql if (found := statement_table(q)))
        w(
            f"| {what} | {spread(medians(runs, 'us'))} | {x} "
            f"| {hot_queries(r, name)} | {tables or 'none'} |"
        )
    w("")


def render_hotpath(r, w) -> None:
    """(h): one request at a time, each against its floor."""
    w("## (h) Hot path: one request, in-process\n")
    hot = r.hotpath or {}
    if not hot.get("checks"):
        w("Not measured in this run (django-twostep not available, or `--hot-requests 0`).\n")
        return
    s = r.settings
    w(
        "Each request goes through Django's WSGI handler as a WSGI server sends it "
        "(`request_started`, the middleware, the view, the body read, `request_finished`), "
        "without HTTP parsing or sockets, in django-twostep's bench site and virtualenv, so "
        "every variant runs the same Django and DRF. Each figure is the median over "
        f"{rounds(s.get('runs'))} of µs per request, {s.get('hot_requests', 0):,} timed "
        f"requests per variant and round after {s.get('hot_warmup', 0):,} untimed; the "
        "variants of a table alternate within each round (the first changing every round), "
        "and the ratio to the floor is the median of the per-round ratios, their range in "
        "brackets. "
        "Queries: one request's, transaction control not counted. Before timing, each "
        "variant is self-checked: the right token (or session) answers 200 naming the user "
        "and a well-formed garbage token gets a 401; a session logged in but not verified "
        "gets a 403 from the verified page; every timed answer must have the expected "
        "status.\n"
    )
    w("### Bearer authentication\n")
    w(
        'A GET of the same tiny DRF `APIView` (`{"username": ...}`, '
        "`permission_classes = [IsAuthenticated]`) through the site's middleware, "
        "`authentication_classes` set to one class each; each token issued as that "
        "package's login does (django-twostep's by `flows.tokens.issue_tokens`, verified). "
        f"The goal: django-twostep's at most {GOAL_BEARER:g}x DRF's, "
        f"{GOAL_BEARER_QUERIES} query.\n"
    )
    names = ["bearer-drf", "bearer-simplejwt", "bearer-knox", "bearer-twostep"]
    hot_table(r, w, names, "bearer-drf", "authentication", "x DRF's TokenAuthentication")
    w("### Middleware: an anonymous request\n")
    w(
        "A GET of a plain Django view (no user, no session) through the site's middleware, "
        "and through the same list without `TwoStepMiddleware`. The goal: at most "
        f"{GOAL_MIDDLEWARE:g}x, no query.\n"
    )
    names = ["anonymous-plain", "anonymous-twostep"]
    hot_table(r, w, names, names[0], "stack", "x without TwoStepMiddleware")
    w("### Verified page\n")
    w(
        "A logged-in session's GET of a page that answers the username: for django-twostep, "
        "a session logged in through its two pages, on a page that calls "
        "`request.user.is_verified()` (403 when not verified); the floor, a one-step "
        "login's session (`force_login`) on the `login_required` page of the same site "
        "without `TwoStepMiddleware`. The goal: no query more than the floor.\n"
    )
    for sessions in engines(r):
        w(f"{engine_title(sessions)}:\n")
        names = [variant("verified-floor", sessions), variant("verified-twostep", sessions)]
        hot_table(r, w, names, names[0], "session", "x one-step login's page")
