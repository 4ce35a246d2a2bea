"""The API tests' fixtures and helpers (tests/api/conftest.py), for this method's endpoints."""

from tests.api.conftest import *  # noqa: F403
