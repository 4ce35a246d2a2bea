"""A small reader of gettext .po files, enough for the translation tests."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import django_twostep

LOCALE_DIR = Path(django_twostep.__file__).resolve().parent / "locale"
# Django language codes, and the locale directory each one's catalog lives in.
LANGUAGES = {"de": "de", "fr": "fr", "es": "es", "pt-br": "pt_BR", "nl": "nl"}

# Placeholders a translation must keep: %(name)s, %d, {name}.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def english(self) -> list[str]:
        """The English texts of the entry (both forms of a plural)."""
        return [self.msgid] + ([self.msgid_plural] if self.msgid_plural else [])


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header first (obsolete ``#~`` entries are skipped)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    flags: set[str] = set()

    def string(line: str) -> str:
        return ast.literal_eval(line[line.index('"') :])

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt"):
            raise AssertionError(f"{path}: msgctxt is not used by django-twostep")
        elif line.startswith("msgid_plural"):
            assert current is not None
            current.msgid_plural = string(line)
            target = ("msgid_plural", 0)
        elif line.startswith("msgid"):
            current = Entry(msgid=string(line), flags=flags)
            entries.append(current)
            flags = set()
            target = ("msgid", 0)
        elif line.startswith("msgstr"):
            assert current is not None
            current.msgstr.append(string(line))
            target = ("msgstr", len(current.msgstr) - 1)
        elif line.startswith('"'):
            assert current is not None and target is not None
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += string(line)
            else:
                setattr(current, kind, getattr(current, kind) + string(line))
    return entries


def catalog_path(language: str, suffix: str = "po") -> Path:
    return LOCALE_DIR / LANGUAGES[language] / "LC_MESSAGES" / f"django.{suffix}"


def messages(language: str) -> list[Entry]:
    """The translated entries of a language's catalog (no header)."""
    return [entry for entry in read_po(catalog_path(language)) if entry.msgid]


def nplurals(language: str) -> int:
    header = read_po(catalog_path(language))[0]
    assert header.msgid == ""
    return int(re.search(r"nplurals=(\d+)", header.msgstr[0]).group(1))
