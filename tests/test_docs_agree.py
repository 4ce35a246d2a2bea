"""The docs and the code agree: settings, URL names, API endpoints and error codes.

Each check is a function over text that returns what disagrees, so a test can
plant a wrong name in a made-up text and see it reported (the checks can fail).
Both directions are checked: what the docs name exists, and what exists is in
the docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, resolve
from django.urls.exceptions import Resolver404

from django_twostep.conf import TwoStepSettings
from django_twostep.errors import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# The site the docs' examples talk to (http://127.0.0.1:8000/api/v1/...).
SITE_URLCONF = "example_project.urls"
API_PREFIX = "/api/v1/"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def doc_texts() -> dict[str, str]:
    """README.md and every page of docs/, by path relative to the repository."""
    paths = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in paths}


FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(text: str) -> list[str]:
    return [match.group(0) for match in FENCE.finditer(text)]


def prose(text: str) -> str:
    """The text without fenced blocks and table rows: what people wrote as sentences."""
    text = FENCE.sub("", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))


# -- settings ------------------------------------------------------------------------

SETTING_NAME = re.compile(r"\bTWOSTEP_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
# Environment variables of the test suite (README, docs/security.md), not settings.
TEST_ENVIRONMENT = {"TWOSTEP_TEST_POSTGRES_URL", "TWOSTEP_FUZZ_EXAMPLES"}


def defined_settings() -> set[str]:
    return {setting.name for setting in TwoStepSettings.all()}


def unknown_settings(text: str) -> set[str]:
    """``TWOSTEP_*`` names in ``text`` that are no setting."""
    return set(SETTING_NAME.findall(text)) - defined_settings() - TEST_ENVIRONMENT


def settings_without_prose(text: str) -> set[str]:
    """Settings that ``text`` (docs/settings.md) explains nowhere outside a table."""
    explained = prose(text)
    return {name for name in defined_settings() if f"`{name}`" not in explained}


# -- URL names -----------------------------------------------------------------------

URL_NAME = re.compile(r"(?<![\w-])(twostep-api|twostep):([a-z][a-z0-9-]*)")
# path("...", view, name="...") in an example of the docs (a site's own method).
EXAMPLE_PATH = re.compile(r"""path\(\s*["']([^"']*)["'],.*?name=["']([a-z0-9-]+)["']""")


def pattern_names(patterns: Iterable[URLPattern | URLResolver]) -> Iterator[tuple[str, str]]:
    """``(route, name)`` of every named pattern, through includes without a namespace."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            for route, name in pattern_names(pattern.url_patterns):
                yield str(pattern.pattern) + route, name
        elif pattern.name:
            yield str(pattern.pattern), pattern.name


def package_url_names() -> set[str]:
    """Every URL name the package defines, with its namespace (each method's included)."""
    from django_twostep import urls
    from django_twostep.api import urls as api_urls

    return {f"twostep:{name}" for _, name in pattern_names(urls.urlpatterns)} | {
        f"twostep-api:{name}" for _, name in pattern_names(api_urls.urlpatterns)
    }


def example_urls(texts: Iterable[str]) -> dict[str, set[str]]:
    """Routes and names a docs example defines for a method of its own (the SMS
    example of docs/methods.md): its ``urls.py`` goes into ``twostep``, its
    ``api_urls.py`` into ``twostep-api``."""
    found: dict[str, set[str]] = {"names": set(), "routes": set()}
    for text in texts:
        for block in code_blocks(text):
            if "urlpatterns" not in block:
                continue
            namespace = "twostep-api" if "api_urls.py" in block else "twostep"
            for route, name in EXAMPLE_PATH.findall(block):
                found["names"].add(f"{namespace}:{name}")
                if namespace == "twostep-api":
                    found["routes"].add(doc_route(route))
    return found


def mentioned_url_names(text: str) -> set[str]:
    return {f"{namespace}:{name}" for namespace, name in URL_NAME.findall(text)}


def unknown_url_names(text: str, *, examples: Iterable[str] = ()) -> set[str]:
    """``twostep:...`` and ``twostep-api:...`` names in ``text`` the package does not define."""
    return mentioned_url_names(text) - package_url_names() - set(examples)


def undocumented_url_names(text: str) -> set[str]:
    """Names the package defines that ``text`` never mentions with their namespace."""
    return package_url_names() - mentioned_url_names(text)


# -- API endpoints -------------------------------------------------------------------

API_PATH = r"(?:api/v1/)?(?:auth|users|mfa|me)/[^\s`'\"?#]*"
# `POST auth/login`, `POST/PATCH/DELETE users/{username}/email-otp`
METHOD_AND_PATH = re.compile(
    rf"`((?:{'|'.join(HTTP_METHODS)})(?:/(?:{'|'.join(HTTP_METHODS)}))*) ({API_PATH})`"
)
# `auth/passkey`, `users/{username}/webauthn/register`
BARE_PATH = re.compile(rf"`({API_PATH})`")
# curl ... http://127.0.0.1:8000/api/v1/users/demo/otp
CURL_URL = re.compile(r"http://127\.0\.0\.1:8000/api/v1/([^\s'\"?#]*)")
CURL_METHOD = re.compile(r"-X (" + "|".join(HTTP_METHODS) + r")\b")
PLACEHOLDERS = {"username": "demo", "name": "totp", "credential_id": "1", "id": "1"}


def doc_route(route: str) -> str:
    """A Django route as the docs write it: ``users/<str:username>/otp`` is
    ``users/{username}/otp``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def concrete(path: str) -> str:
    """A documented path with sample values: ``users/{username}/otp`` is ``users/demo/otp``."""
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "x"), path)


def documented_endpoints(text: str) -> set[tuple[str | None, str]]:
    """``(HTTP method or None, path)`` for every API path ``text`` names."""
    found: set[tuple[str | None, str]] = set()
    for methods, path in METHOD_AND_PATH.findall(text):
        found.update((method, path) for method in methods.split("/"))
    found.update((None, path) for path in BARE_PATH.findall(text))
    for line in text.splitlines():
        for path in CURL_URL.findall(line):
            method = CURL_METHOD.search(line)
            found.add((method.group(1) if method else None, path))
    return {
        (method, path.removeprefix("api/v1/"))
        for method, path in found
        if "..." not in path and path.rstrip("/") not in {"auth", "users", "mfa", "me"}
    }


def unresolved_endpoints(text: str, *, examples: Iterable[str] = ()) -> set[tuple[str | None, str]]:
    """Documented API paths that match no endpoint (or an endpoint without that
    HTTP method) of the example site, which serves the package's API."""
    examples = set(examples)
    bad = set()
    for method, path in documented_endpoints(text):
        if path in examples:
            continue
        try:
            match = resolve(API_PREFIX + concrete(path), urlconf=SITE_URLCONF)
        except Resolver404:
            bad.add((method, path))
            continue
        view = getattr(match.func, "view_class", None)
        if match.url_name == "not-found" or (
            method is not None and not hasattr(view, method.lower())
        ):
            bad.add((method, path))
    return bad


def package_operations() -> set[str]:
    """``METHOD route`` of every endpoint of the package's API (each method's included)."""
    from django_twostep.api import urls as api_urls

    operations = set()
    for route, name in pattern_names(api_urls.urlpatterns):
        if name == "not-found":
            continue
        view = resolve(
            API_PREFIX + concrete(doc_route(route)), urlconf=SITE_URLCONF
        ).func.view_class
        operations.update(
            f"{method} {doc_route(route)}"
            for method in HTTP_METHODS
            if hasattr(view, method.lower())
        )
    return operations


def section(text: str, heading: str) -> str:
    """The part of ``text`` under ``## heading``, up to the next heading of that level."""
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def undocumented_operations(reference: str) -> set[str]:
    """Endpoints the API has and the endpoint reference table (docs/api.md) lacks."""
    rows = {line for line in reference.splitlines() if line.startswith("| `")}
    documented = {match.group(1) for row in rows for match in re.finditer(r"^\| `([^`]+)`", row)}
    return package_operations() - documented


# -- the error catalogue -------------------------------------------------------------

ERROR_ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3})\b", re.MULTILINE)


def documented_errors(text: str) -> dict[str, int]:
    """``code -> status`` from table rows such as ``| `invalid_code` | 400 | ...``."""
    return {code: int(status) for code, status in ERROR_ROW.findall(text)}


def error_disagreements(text: str) -> dict[str, str]:
    """Codes of an error table that are not in the catalogue or have another status."""
    problems = {}
    for code, status in documented_errors(text).items():
        if code not in CATALOGUE:
            problems[code] = "not in CATALOGUE"
        elif CATALOGUE[code].status != status:
            problems[code] = f"documented {status}, CATALOGUE says {CATALOGUE[code].status}"
    return problems


def undocumented_errors(catalogue_table: str) -> set[str]:
    return set(CATALOGUE) - set(documented_errors(catalogue_table))


# -- the docs as they are ------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return doc_texts()


@pytest.fixture(scope="module")
def examples(texts: dict[str, str]) -> dict[str, set[str]]:
    return example_urls(texts.values())


def test_every_setting_the_docs_name_exists(texts):
    assert {path: unknown_settings(text) for path, text in texts.items()} == {
        path: set() for path in texts
    }


def test_the_test_environment_variables_the_docs_name_are_read_by_the_tests():
    """Read where they are read: the test modules and the scripts (not this file,
    which names them)."""
    readers = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").iterdir()]
    here = Path(__file__).resolve()
    sources = "\n".join(path.read_text() for path in readers if path.resolve() != here)
    assert {name for name in TEST_ENVIRONMENT if name not in sources} == set()


def test_every_setting_is_explained_in_the_prose_of_the_settings_page(texts):
    assert settings_without_prose(texts["docs/settings.md"]) == set()


def test_every_url_name_the_docs_name_exists(texts, examples):
    assert {
        path: unknown_url_names(text, examples=examples["names"]) for path, text in texts.items()
    } == {path: set() for path in texts}


def test_every_url_name_of_the_package_is_documented(texts):
    assert undocumented_url_names("\n".join(texts.values())) == set()


def test_every_api_path_the_docs_name_exists(texts, examples):
    assert {
        path: unresolved_endpoints(text, examples=examples["routes"])
        for path, text in texts.items()
    } == {path: set() for path in texts}


def test_every_api_endpoint_is_in_the_endpoint_reference(texts):
    assert undocumented_operations(section(texts["docs/api.md"], "Endpoint reference")) == set()


def test_every_error_table_agrees_with_the_catalogue(texts):
    assert {path: error_disagreements(text) for path, text in texts.items()} == {
        path: {} for path in texts
    }


def test_every_catalogue_code_is_in_the_error_catalogue(texts):
    assert undocumented_errors(section(texts["docs/api.md"], "Error catalogue")) == set()


# -- the checks can fail -------------------------------------------------------------


def test_a_setting_that_does_not_exist_is_reported():
    text = "Set `TWOSTEP_ISSUER` and `TWOSTEP_CHALENGE_TTL` (sic); run with `TWOSTEP_*` set."
    assert unknown_settings(text) == {"TWOSTEP_CHALENGE_TTL"}


def test_a_setting_only_in_a_table_or_code_is_not_explained():
    name = "TWOSTEP_CHALLENGE_TTL"
    text = f"| `{name}` | `300` |\n\n```python\n{name} = 60\n```\n"
    assert name in settings_without_prose(text)
    assert name not in settings_without_prose(text + f"\n- `{name}` (300): how long.\n")


def test_a_url_name_that_does_not_exist_is_reported():
    text = 'LOGIN_URL = "twostep:login"; reverse("twostep-api:log-in"); django-twostep:x'
    assert unknown_url_names(text) == {"twostep-api:log-in"}
    assert unknown_url_names("`twostep:sms-setup`", examples={"twostep:sms-setup"}) == set()


def test_a_url_name_the_docs_leave_out_is_reported():
    text = "\n".join(sorted(package_url_names() - {"twostep:totp-qr"}))
    assert undocumented_url_names(text) == {"twostep:totp-qr"}


def test_an_api_path_that_does_not_exist_is_reported():
    text = """
`POST auth/login` and `POST auth/log-in`; `GET auth/two-factor`; `users/{username}/otpp`.
curl -s -X DELETE http://127.0.0.1:8000/api/v1/users/demo/recovery-codes
"""
    assert unresolved_endpoints(text) == {
        ("POST", "auth/log-in"),
        ("GET", "auth/two-factor"),
        (None, "users/{username}/otpp"),
        ("DELETE", "users/demo/recovery-codes"),
    }


def test_an_api_endpoint_missing_from_the_reference_is_reported():
    rows = [f"| `{operation}` | Bearer |" for operation in sorted(package_operations())]
    text = "\n".join(row for row in rows if "`PATCH users/{username}/otp`" not in row)
    assert undocumented_operations(text) == {"PATCH users/{username}/otp"}


def test_an_error_code_with_a_wrong_status_or_unknown_code_is_reported():
    text = """
| code | status | meaning |
|---|---|---|
| `invalid_code` | 400 | wrong |
| `too_many_attempts` | 403 | throttled |
| `no_such_code` | 400 | made up |
"""
    assert error_disagreements(text) == {
        "too_many_attempts": "documented 403, CATALOGUE says 429",
        "no_such_code": "not in CATALOGUE",
    }
    assert "not_found" in undocumented_errors(text)
