"""A Sphinx directive that writes the settings table from ``django_twostep.conf``.

``TwoStepSettings`` holds each setting's default and one line on it; the table
is made from them at build time, so it cannot fall behind the code::

    ```{twostep-settings}
    ```
"""

from __future__ import annotations

import pprint
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def default_text(value: object) -> str:
    """The default as Python source, on one line (a list of dotted paths included)."""
    return pprint.pformat(value, width=10_000, sort_dicts=False)


class TwoStepSettingsDirective(SphinxDirective):
    """A table of every ``TWOSTEP_*`` setting: name, default and what it is for."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from django_twostep.conf import TwoStepSettings

        rows = [
            (setting.name, default_text(setting.default), setting.doc)
            for setting in TwoStepSettings.all()
        ]
        table = nodes.table(classes=["twostep-settings"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (3, 3, 6):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self._row(("setting", "default", "what it is for"), literal=False)
        body = nodes.tbody()
        for row in rows:
            body += self._row(row, literal=True)
        group += head
        group += body
        return [table]

    @staticmethod
    def _row(cells: tuple[str, str, str], *, literal: bool) -> nodes.row:
        row = nodes.row()
        for index, text in enumerate(cells):
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            if literal and index < 2:
                paragraph += nodes.literal(text=text)
            else:
                paragraph += nodes.Text(text)
            entry += paragraph
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("twostep-settings", TwoStepSettingsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
