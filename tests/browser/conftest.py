"""Fixtures of the browser tests: Chromium, a live example site per test, visitors.

Locally the tests skip, saying what is missing, when Playwright, Chromium or
axe-core is not there; with ``CI=true`` they fail instead (``.ci/run``
installs Chromium, ``scripts/browser-deps`` installs axe-core).

``@pytest.mark.site_env(TWOSTEP_REQUIRED="staff")`` starts the test's site
with those environment variables (the example site reads ``TWOSTEP_*``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import optional

from .browsing import Visitor, launch, missing_requirements, new_context
from .livesite import LiveSite, SiteFactory


def requirement_missing(what: str) -> None:
    optional.missing("Chromium", f"the browser tests need {what}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; one for the session."""
    missing = missing_requirements()
    if missing:
        requirement_missing(", ".join(missing))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_factory(browser: Any) -> Iterator[SiteFactory]:
    """The seeded template database (SQLite file, or PostgreSQL with DATABASE_URL)."""
    factory = SiteFactory()
    yield factory
    factory.close()


@pytest.fixture
def people(site_factory: SiteFactory) -> dict[str, Any]:
    """Who is in every fresh database: usernames, passwords, alice's secret and codes."""
    return site_factory.people


@pytest.fixture
def site(site_factory: SiteFactory, request: pytest.FixtureRequest) -> Iterator[LiveSite]:
    """The example site, served on 127.0.0.1 by its own process, on a fresh database."""
    marker = request.node.get_closest_marker("site_env")
    live = site_factory.start(dict(marker.kwargs) if marker else None)
    yield live
    live.stop()
    print(f"== server log of {live.base_url} ({site_factory.vendor})\n{live.log()}")


@pytest.fixture
def open_browser(browser: Any, site: LiveSite) -> Iterator[Callable[..., Visitor]]:
    """Open a fresh browser profile on the site (call it again for a second browser).

    Each visitor is checked at the end of the test: every page audited, no CSP
    violation, no script error.
    """
    contexts: list[Any] = []
    visitors: list[Visitor] = []

    def open_one(**options: Any) -> Visitor:
        context = new_context(browser, **options)
        contexts.append(context)
        visitor = Visitor.open(context, site)
        visitors.append(visitor)
        return visitor

    yield open_one
    try:
        for visitor in visitors:
            visitor.finish()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def visitor(open_browser: Callable[..., Visitor]) -> Visitor:
    """A person at a fresh browser on the site."""
    return open_browser()
