"""``make screenshots`` works, and the README's pictures are the ones it makes."""

from __future__ import annotations

import re

import pytest

from .livesite import ROOT
from .screenshots import COLOR_SCHEMES, MAX_BYTES, OUTDIR, PAGES, take_screenshots


@pytest.mark.browser
def test_the_screenshot_walk_makes_every_picture_the_docs_hold(browser, site_factory, tmp_path):
    written = take_screenshots(browser, site_factory, tmp_path)
    expected = {
        f"{page}{'' if scheme == 'light' else '-' + scheme}.png"
        for page in PAGES
        for scheme in COLOR_SCHEMES
    }
    assert {path.name for path in written} == expected
    assert {path.name for path in OUTDIR.glob("*.png")} == expected
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size <= MAX_BYTES, path.name


def test_the_readme_shows_the_committed_screenshots():
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"\(docs/screenshots/([\w-]+\.png)\)", readme))
    assert {f"{page}.png" for page in PAGES} <= shown
    for name in shown:
        path = OUTDIR / name
        assert path.is_file(), name
        assert path.stat().st_size <= MAX_BYTES, name
