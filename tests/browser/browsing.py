"""A person at a browser: Chromium driven by Playwright, with every page checked.

:class:`Visitor` wraps a Playwright page on a :class:`~tests.browser.livesite.LiveSite`.
Every document the page loads is audited with axe-core (injected into each
document by an init script, so the site's Content-Security-Policy does not
stand in its way) and any serious or critical violation fails at once; every
console message is kept, and :meth:`Visitor.finish` fails on any
Content-Security-Policy violation the browser logged, on any script error, and
on any document that was loaded but not audited (so no page escapes the
checks). :class:`Authenticator` is the phone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyotp

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Frame, Page, Playwright

    from .livesite import LiveSite

HERE = Path(__file__).resolve().parent
AXE_SOURCE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("TWOSTEP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 820, "height": 640}
TIMEOUT_MS = 15_000
BLOCKING_IMPACTS = ("serious", "critical")

RUN_AXE = """
async (impacts) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => impacts.includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary}`),
    }));
}
"""


def missing_requirements() -> list[str]:
    """Why the browser tests cannot run here (empty when they can)."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (make install)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    if not AXE_SOURCE.is_file():
        missing.append("axe-core in tests/browser/node_modules (scripts/browser-deps)")
    return missing


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless (Playwright's own browser download is not used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh browser profile (no cookies) with axe-core in every document."""
    settings: dict[str, Any] = {
        "viewport": VIEWPORT,
        "device_scale_factor": 1,
        "locale": "en-GB",
        "timezone_id": "UTC",
        "color_scheme": "light",
        "accept_downloads": True,
    }
    settings.update(options)
    context = browser.new_context(**settings)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE_SOURCE))
    return context


class AccessibilityError(AssertionError):
    """axe-core found serious or critical problems on a page."""


@dataclass
class Visitor:
    """One browser tab on a live site, whose every page is audited."""

    page: Page
    site: LiveSite
    documents: list[str] = field(default_factory=list)
    audited: int = 0
    console: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("framenavigated", self._navigated)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))

    @classmethod
    def open(cls, context: BrowserContext, site: LiveSite) -> Visitor:
        return cls(context.new_page(), site)

    def _navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self.documents.append(frame.url)

    def _console(self, message: ConsoleMessage) -> None:
        text = f"{message.type}: {message.text} ({self.page.url})"
        self.console.append(text)
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(text)

    # -- where we are ------------------------------------------------------------------

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.page.url).query

    def visited(self, path: str) -> bool:
        return any(urlsplit(url).path == path for url in self.documents)

    # -- moving ----------------------------------------------------------------------------

    def goto(self, path: str) -> None:
        """Type a URL of the site into the address bar."""
        self.page.goto(self.site.url(path))
        self.audit()

    @contextlib.contextmanager
    def navigation(self) -> Iterator[None]:
        """Wrap what makes the page load another document: it is awaited, then audited."""
        with self.page.expect_navigation(wait_until="load"):
            yield
        self.audit()

    def click(self, target: Any) -> None:
        """Click a link or button that loads another page."""
        with self.navigation():
            target.click()

    def field(self, label: str) -> Any:
        return self.page.get_by_label(label, exact=True)

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def link(self, name: str) -> Any:
        return self.page.get_by_role("link", name=name, exact=True)

    def log_in(self, username: str, password: str) -> None:
        """Page 1: from wherever the browser is, as a person types it."""
        if self.path != "/accounts/login/":
            self.goto("/accounts/login/")
        self.field("Username").fill(username)
        self.field("Password").fill(password)
        self.click(self.button("Continue"))

    def enter_code(self, code: str, *, remember: bool = False, button: str = "Log in") -> None:
        """Page 2 (or any code page): type the code, tick "trust", press the button."""
        field = self.page.locator("input[name=code]")
        field.fill(code)
        if remember:
            self.page.get_by_label("Trust this browser", exact=False).check()
        self.click(self.button(button))

    def log_out(self) -> None:
        self.click(self.button("Log out").first)

    # -- checks ----------------------------------------------------------------------------

    def audit(self) -> None:
        """Run axe-core on the document shown now; fail on serious or critical problems."""
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate(RUN_AXE, list(BLOCKING_IMPACTS))
        self.audited = len(self.documents)
        if violations:
            lines = [f"axe-core on {self.page.url}:"]
            for violation in violations:
                lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
                lines.extend(f"    {node}" for node in violation["nodes"])
            raise AccessibilityError("\n".join(lines))

    def focused(self) -> dict[str, Any]:
        """The element that has the keyboard focus: tag, id, name, type and text."""
        return self.page.evaluate(
            """() => { const e = document.activeElement; return e && {
                tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute("name"),
                type: e.getAttribute("type"), text: (e.innerText || "").trim() }; }"""
        )

    def finish(self) -> None:
        """The end of a visit: every page audited, no CSP violation, no script error."""
        problems = []
        if self.audited < len(self.documents):
            unaudited = ", ".join(self.documents[self.audited :])
            problems.append(f"pages loaded but not audited (use Visitor.navigation): {unaudited}")
        problems += [f"CSP violation: {text}" for text in self.csp_violations]
        problems += [f"script error: {text}" for text in self.script_errors]
        assert not problems, "\n".join(problems)


class Authenticator:
    """An authenticator app on a phone with a right clock, computing codes with pyotp.

    A server in another process cannot have its clock frozen, so codes come from
    the real time. The server accepts the codes of the current time step and of
    one step either side, and each step at most once. So the app hands out the
    code of the current step, or of the next step when the current one was
    already used; it never repeats a step. Both are valid even if the server's
    clock crosses into the next step before it checks. A third code within the
    same 30 seconds would have to be two steps ahead, which the server may
    refuse: the app raises instead, and scenarios that need more codes use
    another user or a recovery code. No test ever waits for a time step.
    """

    def __init__(self, secret: str, *, digits: int = 6, period: int = 30) -> None:
        self.totp = pyotp.TOTP(secret.replace(" ", ""), digits=digits, interval=period)
        self.period = period
        self.last_step: int | None = None

    @classmethod
    def from_uri(cls, uri: str) -> Authenticator:
        """Scan an otpauth URI, as an app does from the QR code."""
        totp = pyotp.parse_uri(uri)
        assert isinstance(totp, pyotp.TOTP)
        return cls(totp.secret, digits=totp.digits, period=totp.interval)

    def step_now(self) -> int:
        return int(time.time() // self.period)

    def code(self) -> str:
        now = self.step_now()
        step = now if self.last_step is None or self.last_step < now else self.last_step + 1
        if step > now + 1:
            raise AssertionError(
                "a third code within one time step could be refused; use another user, "
                "another device or a recovery code in this scenario instead of waiting"
            )
        self.last_step = step
        return self.totp.at(step * self.period)

    def wrong_code(self) -> str:
        """A well-formed code that no step near now (used or not) accepts."""
        now = self.step_now()
        near = {self.totp.at((now + offset) * self.period) for offset in range(-4, 5)}
        return next(code for code in ("000000", "111111", "222222") if code not in near)


# -- security keys and passkeys ------------------------------------------------------------


class VirtualKey:
    """A virtual authenticator in one browser tab: a USB security key ("usb") or the
    device's own (``"internal"``), with resident keys and user verification, that
    answers at once (as if touched)."""

    def __init__(self, visitor: Visitor, *, transport: str = "usb") -> None:
        self.cdp = visitor.page.context.new_cdp_session(visitor.page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.transport = transport
        self.id = self.add()

    def add(self) -> str:
        options = {
            "protocol": "ctap2",
            "transport": self.transport,
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": True,
        }
        answer = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
        return answer["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        return answer["credentials"]

    def unplug(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})

    def plug_in_copy(self, credential: dict[str, Any], **changes: Any) -> None:
        """A new authenticator holding a copy of ``credential`` (a cloned key)."""
        self.id = self.add()
        copy = {**credential, **changes}
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": copy})


def on_localhost(visitor: Visitor) -> Visitor:
    """Browse the same live site by the name ``localhost`` (a valid relying party id)."""
    port = urlsplit(visitor.site.base_url).port
    visitor.site = dataclasses.replace(visitor.site, base_url=f"http://localhost:{port}/")
    return visitor


@dataclass
class Held:
    """Requests to an options endpoint held back until released (so the page a
    ceremony starts on by itself is audited before it moves on)."""

    visitor: Visitor
    pattern: str
    routes: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.visitor.page.route(self.pattern, lambda route: self.routes.append(route))

    def wait(self) -> Any:
        page = self.visitor.page
        for _ in range(200):
            if self.routes:
                break
            page.wait_for_timeout(25)
        assert self.routes, f"nothing asked for {self.pattern}"

    def release(self) -> None:
        """Let the held requests through, and the next ones."""
        self.wait()
        for route in self.routes:
            route.continue_()
        self.routes.clear()
        self.visitor.page.unroute(self.pattern)

    def fail(self) -> None:
        """Answer the held requests as a server that could not help (a 503)."""
        self.wait()
        for route in self.routes:
            route.fulfill(status=503, content_type="application/json", body="{}")
        self.routes.clear()
        self.visitor.page.unroute(self.pattern)


@dataclass
class Hold:
    visitor: Visitor

    def __call__(self, path: str) -> Held:
        return Held(self.visitor, re.compile(re.escape(path) + "$"))
