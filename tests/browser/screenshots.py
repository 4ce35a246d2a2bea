"""Screenshots of the pages for the README: ``make screenshots`` (docs/screenshots/).

Run as ``python -m tests.browser.screenshots [OUTDIR]``. It serves the example
site on a fresh throwaway database (the key and codes in the pictures belong
to nobody), walks through it as the demo user in a light and a dark browser,
audits every page like the browser tests do (a virtual security key of
Chromium's stands in for the demo user's), and writes small PNGs
(``<page>.png`` and ``<page>-dark.png``): 256-colour palettes, optimised.
``tests/browser/test_screenshots.py`` runs the same walk into a temporary
folder, so it cannot rot.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .browsing import (
    Authenticator,
    Hold,
    VirtualKey,
    Visitor,
    launch,
    missing_requirements,
    new_context,
    on_localhost,
)
from .livesite import ROOT, SiteFactory

OUTDIR = ROOT / "docs" / "screenshots"
PAGES = ("login", "login-code", "totp-setup", "recovery-codes", "security-keys", "settings")
COLOR_SCHEMES = ("light", "dark")
MAX_BYTES = 150_000


def small_png(png: bytes) -> bytes:
    """The screenshot with a 256-colour palette, optimised (UI pictures lose nothing seen)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def walk(visitor: Visitor, people: dict[str, Any], shoot: Callable[[str], None]) -> None:
    """The demo user's first visit: log in, set up an app, save the codes, add a
    security key, log in again with it."""
    demo = people["demo"]
    # WebAuthn wants a domain: the site by the name localhost, and a virtual key.
    on_localhost(visitor)
    VirtualKey(visitor, transport="usb")
    visitor.goto("/accounts/login/")
    shoot("login")
    visitor.log_in(demo["username"], demo["password"])
    visitor.goto("/accounts/two-factor/totp/setup/")
    shoot("totp-setup")
    app = Authenticator(visitor.page.locator("#twostep-secret").inner_text())
    visitor.field("Code").fill(app.code())
    visitor.click(visitor.button("Turn on two-step login"))
    shoot("recovery-codes")
    visitor.click(visitor.button("I have saved my codes"))
    visitor.goto("/accounts/two-factor/webauthn/")
    visitor.field("Name").fill("Blue key")
    visitor.click(visitor.button("Add a key"))
    shoot("security-keys")
    visitor.log_out()
    # Page 2 starts the key's ceremony by itself: held back for the picture.
    options = Hold(visitor)("/accounts/login/code/webauthn/options/")
    visitor.log_in(demo["username"], demo["password"])
    shoot("login-code")
    visitor.page.get_by_label("Trust this browser", exact=False).check()
    with visitor.navigation():
        options.release()
    visitor.goto("/accounts/two-factor/")
    shoot("settings")


def take_screenshots(
    browser: Any, factory: SiteFactory, outdir: Path, schemes: tuple[str, ...] = COLOR_SCHEMES
) -> list[Path]:
    """Walk the site once per colour scheme, each on a fresh site; return the files written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for scheme in schemes:
        site = factory.start()
        context = new_context(browser, color_scheme=scheme)
        try:
            visitor = Visitor.open(context, site)

            def shoot(name: str, visitor: Visitor = visitor, scheme: str = scheme) -> None:
                suffix = "" if scheme == "light" else f"-{scheme}"
                path = outdir / f"{name}{suffix}.png"
                path.write_bytes(small_png(visitor.page.screenshot(full_page=True)))
                written.append(path)

            walk(visitor, factory.people, shoot)
            visitor.finish()
        finally:
            context.close()
            site.stop()
    return written


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else OUTDIR
    missing = missing_requirements()
    if missing:
        print("Cannot take screenshots without: " + ", ".join(missing), file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    factory = SiteFactory()
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                written = take_screenshots(browser, factory, outdir)
            finally:
                browser.close()
    finally:
        factory.close()
    for path in written:
        size = path.stat().st_size
        flag = "" if size <= MAX_BYTES else f"  (over {MAX_BYTES // 1000} kB)"
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{shown}: {size // 1000} kB{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
