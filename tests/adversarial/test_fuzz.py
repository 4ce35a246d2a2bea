"""Fuzzing the live API from its served OpenAPI schema (schemathesis).

Every operation of ``/api/schema/``, with valid and invalid (negative) data,
each case with a fresh bearer token of a logged-in user (so ``auth/logout``
cannot log the run out). Whatever comes: no server error, the answer is what
the schema says (status, content type, body), every error is in the envelope
with a catalogue code, and every answer is ``no-store``.

Bounded for CI: ``TWOSTEP_FUZZ_EXAMPLES`` cases per operation and mode
(default 15: about 360 requests).
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from django_twostep.errors import CATALOGUE

from .live import make_account

pytestmark = pytest.mark.multiworker

EXAMPLES = int(os.environ.get("TWOSTEP_FUZZ_EXAMPLES", "15"))
# "Schema-valid data must be accepted": a JSON Schema string may hold NUL
# characters, which DRF refuses in any field (400 validation_error, in the
# envelope, as it should). Everything else schemathesis checks stays on.
EXCLUDED_CHECKS = [checks.positive_data_acceptance]


def check_answer(response) -> None:
    """``response`` is schemathesis's: headers are lower-cased, each a list."""
    assert response.status_code < 500, response.text[:500]
    assert "no-store" in " ".join(response.headers.get("cache-control", [])), response.headers
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"errors", "meta"} and body["errors"], body
        for error in body["errors"]:
            assert error["code"] in CATALOGUE, error
            assert error["status"] == str(response.status_code), error


def test_every_operation_survives_fuzzing(fast_server, live_db, live_secrets):
    account = make_account(fast_server, live_db, live_secrets, "fuzz", totp=False)
    schema = schemathesis.openapi.from_url(fast_server.url("/api/schema/"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    session = requests.Session()
    tried: dict[str, list[int]] = {}

    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            token = account.login().json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            if case.headers:
                headers = {**case.headers, **headers}
            response = case.call(base_url=fast_server.base_url, session=session, headers=headers)
            tried.setdefault(operation.label, []).append(response.status_code)
            check_answer(response)
            case.validate_response(response, headers=headers, excluded_checks=EXCLUDED_CHECKS)

        run()

    assert set(tried) == {operation.label for operation in operations}
    assert sum(map(len, tried.values())) >= len(operations) * min(EXAMPLES, 5)
