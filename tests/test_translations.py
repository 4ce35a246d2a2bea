"""The translation catalogs: complete, in step with the code, compiled, and free of
untranslatable text in the templates.

The pages themselves are checked in every language by tests/test_i18n_pages.py.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

import django_twostep
from tests.po import LANGUAGES, PLACEHOLDER, catalog_path, messages, nplurals, read_po

PACKAGE = Path(django_twostep.__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"

# Translations that are the English word on purpose (the word is the same in that
# language). Any other msgstr equal to its msgid is a forgotten translation.
SAME_AS_ENGLISH = {
    "de": {"Code", "Browser"},
    "fr": {"Code", "Type"},
    "es": set(),
    "pt-br": set(),
    "nl": {"Code", "Browser", "Account", "Type"},
}


def gettext_tools() -> bool:
    """GNU gettext is installed (Django's makemessages and compilemessages need it)."""
    found = all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgfmt"))
    if not found and os.environ.get("CI") == "true":
        pytest.fail("GNU gettext (xgettext, msgmerge, msgfmt) is missing, and CI=true")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    entries = messages(language)
    assert len(entries) > 150  # a catalog of the whole package, not a stub
    forms = nplurals(language)
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        expected = forms if entry.msgid_plural else 1
        if len(entry.msgstr) != expected or not all(entry.msgstr):
            problems.append(f"untranslated: {entry.msgid!r}")
            continue
        for english, translated in zip(
            [entry.msgid, *[entry.msgid_plural or entry.msgid] * (len(entry.msgstr) - 1)],
            entry.msgstr,
            strict=True,
        ):
            if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(translated)):
                problems.append(f"placeholders differ: {english!r} -> {translated!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_listed_words_stay_english(language):
    same = {
        entry.msgid
        for entry in messages(language)
        if {entry.msgid, entry.msgid_plural} & set(entry.msgstr)
    }
    assert same == SAME_AS_ENGLISH[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_po(language):
    """The .mo shipped in the package says exactly what the .po says (``make messages``
    compiles it)."""
    with catalog_path(language, "mo").open("rb") as compiled:
        mo = gettext.GNUTranslations(compiled)._catalog
    expected = {}
    for entry in messages(language):
        if not all(entry.msgstr):
            continue  # msgfmt leaves untranslated entries out (and the test above fails)
        if entry.msgid_plural:
            expected.update({(entry.msgid, n): text for n, text in enumerate(entry.msgstr)})
        else:
            expected[entry.msgid] = entry.msgstr[0]
    mo.pop("", None)  # the header
    assert mo == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_django_loads_the_catalogs(language):
    with translation.override(language):
        assert translation.gettext("Use a recovery code") != "Use a recovery code"
        assert translation.get_language_bidi() is False


def test_catalogs_pass_msgfmt_check(tmp_path):
    """GNU msgfmt's own checks: headers, plural forms, format strings."""
    if not gettext_tools():
        pytest.skip("GNU gettext is not installed")
    for language in LANGUAGES:
        result = subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(catalog_path(language))],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


def test_catalogs_have_every_string_of_the_code_and_no_other(tmp_path):
    """``makemessages`` on a copy of the package changes nothing in the catalogs: every
    marked string of the code is in each .po, and each .po has nothing stale."""
    if not gettext_tools():
        pytest.skip("GNU gettext is not installed")
    copy = tmp_path / "django_twostep"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    command = [sys.executable, "-m", "django", "makemessages", "--no-obsolete"]
    command += ["--add-location=file"] + [f"-l{locale}" for locale in LANGUAGES.values()]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(command, cwd=copy, check=True, capture_output=True, env=env)

    def entries(path: Path) -> list[tuple]:
        return [
            (e.msgid, e.msgid_plural, tuple(e.msgstr), frozenset(e.flags))
            for e in read_po(path)
            if e.msgid
        ]

    for language, locale in LANGUAGES.items():
        regenerated = copy / "locale" / locale / "LC_MESSAGES" / "django.po"
        shipped = entries(catalog_path(language))
        fresh = entries(regenerated)
        missing = sorted(e[0] for e in fresh if e not in shipped)
        stale = sorted(e[0] for e in shipped if e not in fresh)
        assert (missing, stale) == ([], []), f"{language}: run `make messages`"


# -- templates: no text outside {% translate %} -------------------------------------

TEMPLATE_LOGIC = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"  # comments
    r"|{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}"  # translated blocks
    r"|{%\s*block body_class\s*%}.*?{%\s*endblock\s*%}"  # CSS classes
    r"|{%.*?%}|{{.*?}}|{#.*?#}",  # tags, variables, short comments
    re.S,
)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
# Attributes a person reads or hears; their values must come from {% translate %}.
READ_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')
# Text that is the same in every language.
NEUTRAL = {"·", "—"}


def untranslated_text(source: str) -> list[str]:
    found = []
    for match in READ_ATTRIBUTES.finditer(source):
        if re.search(r"[A-Za-z]", TEMPLATE_LOGIC.sub("", match.group(1))):
            found.append(match.group(0))
    text = HTML_TAG.sub(" ", TEMPLATE_LOGIC.sub(" ", source))
    found += [
        word
        for word in re.findall(r"\S+", text)
        if word not in NEUTRAL and not re.fullmatch(r"<!doctype|html>|[\W\d]+", word, re.I)
    ]
    return found


def test_templates_have_no_text_outside_translate_tags():
    templates = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt"))
    assert len(templates) >= 15
    found = {
        str(path.relative_to(TEMPLATES)): words
        for path in templates
        if (words := untranslated_text(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_template_check_finds_plain_text():
    assert untranslated_text('<p>Hello {% translate "World" %}</p>') == ["Hello"]
    assert untranslated_text('<a aria-label="Menu" href="/">{% translate "Home" %}</a>') == [
        'aria-label="Menu"'
    ]
    assert untranslated_text("<td>{{ item.method|default:'—' }}</td> · ") == []


def test_every_event_and_method_has_a_label():
    """The settings page's activity table names events and methods by these labels;
    one missing would show its raw key (in English) in every language."""
    from django_twostep import signals, views
    from django_twostep.flows import trust
    from django_twostep.methods import all_methods

    assert set(views.EVENT_LABELS) == set(signals.BY_EVENT)
    for method in all_methods():
        assert views.method_label(method.name) == method.label and method.label
    assert views.method_label(trust.TRUSTED_BROWSER_METHOD) == views.TRUSTED_BROWSER_LABEL


def test_a_site_catalog_in_locale_paths_changes_a_string(tmp_path):
    """docs/i18n.md: a project's LOCALE_PATHS catalog wins over the app's."""
    if not gettext_tools():
        pytest.skip("GNU gettext is not installed")
    catalog = tmp_path / "de" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (catalog / "django.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Start again"\nmsgstr "Noch einmal von vorn"\n',
        encoding="utf-8",
    )
    subprocess.run(
        ["msgfmt", "-o", str(catalog / "django.mo"), str(catalog / "django.po")], check=True
    )
    with translation.override("de"):
        assert translation.gettext("Start again") == "Von vorn beginnen"
    with override_settings(LOCALE_PATHS=[tmp_path]), translation.override("de"):
        assert translation.gettext("Start again") == "Noch einmal von vorn"
        assert (
            translation.gettext("Use a recovery code") == "Einen Wiederherstellungscode verwenden"
        )
