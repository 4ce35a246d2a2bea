"""The OpenAPI 3 schema served by the example project documents every endpoint and error."""

import re

import pytest
import yaml

from django_twostep.errors import CATALOGUE

pytestmark = pytest.mark.django_db

pytest.importorskip("drf_spectacular")  # the "openapi" extra; part of the "test" extra

OPERATIONS = {
    ("/api/v1/auth/login", "post"),
    ("/api/v1/auth/two-factor", "post"),
    ("/api/v1/auth/two-factor/send", "post"),
    ("/api/v1/auth/token/refresh", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/users/{username}/otp", "get"),
    ("/api/v1/users/{username}/otp", "post"),
    ("/api/v1/users/{username}/otp", "patch"),
    ("/api/v1/users/{username}/otp", "delete"),
    ("/api/v1/users/{username}/recovery-codes", "get"),
    ("/api/v1/users/{username}/recovery-codes", "post"),
    ("/api/v1/users/{username}/email-otp", "post"),
    ("/api/v1/users/{username}/email-otp", "patch"),
    ("/api/v1/users/{username}/email-otp", "delete"),
    ("/api/v1/users/{username}/methods", "get"),
    ("/api/v1/users/{username}/methods/{name}", "delete"),
    ("/api/v1/mfa/trigger", "post"),
    ("/api/v1/mfa/verify", "post"),
    ("/api/v1/auth/passkey", "post"),
    ("/api/v1/auth/passkey/complete", "post"),
    ("/api/v1/users/{username}/webauthn/register", "post"),
    ("/api/v1/users/{username}/webauthn/register", "patch"),
    ("/api/v1/users/{username}/webauthn", "get"),
    ("/api/v1/users/{username}/webauthn/{credential_id}", "patch"),
    ("/api/v1/users/{username}/webauthn/{credential_id}", "delete"),
    ("/api/v1/me/password", "patch"),
}
# Answered for any path or operation by DRF itself rather than by one operation.
GENERIC = {"not_found", "method_not_allowed"}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_served_and_valid_openapi_3(client):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    validate_schema(document)


def test_schema_generates_without_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_endpoint_is_documented(schema):
    found = {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert found == OPERATIONS


def test_every_error_code_is_documented(schema):
    text = yaml.safe_dump(schema)
    documented = set(re.findall(r"`([a-z_]+)`", text))
    missing = set(CATALOGUE) - documented - GENERIC
    assert not missing


def test_every_operation_documents_its_errors_and_headers(schema):
    for path, method in OPERATIONS:
        operation = schema["paths"][path][method]
        responses = operation["responses"]
        assert {"406", "429"} <= set(responses), (path, method)
        assert "Retry-After" in responses["429"]["headers"]
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                ref = next(iter(response["content"].values()))["schema"]["$ref"]
                assert ref.endswith(("ErrorEnvelope", "ChallengeEnvelope")), (path, status)
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"]["headers"]


def test_authenticated_operations_declare_the_bearer_scheme(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An access_token from POST auth/login.",
    }
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert {"bearerAuth": []} not in login.get("security", [])
    otp = schema["paths"]["/api/v1/users/{username}/otp"]["get"]
    assert {"bearerAuth": []} in otp["security"]


def test_bodies_are_documented_in_the_three_content_types(schema):
    body = schema["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert {
        "application/json",
        "application/vnd.api+json",
        "application/x-www-form-urlencoded",
    } <= set(body)


def test_challenge_status_setting_is_documented(client, settings):
    # Documented at import time from the setting; the default documents 401.
    response = client.get("/api/schema/")
    login = yaml.safe_load(response.content)["paths"]["/api/v1/auth/login"]["post"]
    assert "ChallengeEnvelope" in str(login["responses"]["401"])


def test_docs_page_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
    # Scripts come from files, so the example site's strict CSP lets them run.
    assert "<script>" not in html and "<script src=" in html


def test_docs_list_every_error_code_and_endpoint():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for code in CATALOGUE:
        assert f"| `{code}` |" in docs, code
    for path, method in OPERATIONS:
        short = path.removeprefix("/api/v1/")
        assert f"`{method.upper()} {short}" in docs, (method, short)


def test_the_api_works_without_drf_spectacular():
    """The "openapi" extra is optional: without it the API imports and answers."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
sys.modules["drf_spectacular"] = None  # any import of it now fails
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.db import connection
from django.test.utils import setup_databases
setup_databases(1, False)
from rest_framework.test import APIClient
response = APIClient().post("/api/v1/auth/login", {"username": "x", "password": "y"}, format="json")
assert response.json()["errors"][0]["code"] == "invalid_credentials", response.content
assert APIClient().get("/api/schema/").status_code == 404
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": "sqlite://",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().endswith("ok"), result.stderr
