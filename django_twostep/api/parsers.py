"""Request body parsers: JSON, JSON:API (``application/vnd.api+json``) and forms
(``application/x-www-form-urlencoded`` and ``multipart/form-data``).

The JSON parsers refuse, as a ``parse_error``, everything DRF's own parser
would let through as a server error: nesting deep enough to exhaust the
recursion limit, undecodable bytes, and the non-standard ``NaN``/``Infinity``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.parsers import FormParser as DRFFormParser
from rest_framework.parsers import MultiPartParser as DRFMultiPartParser


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(BaseParser):
    """``application/json``, strictly (RFC 8259)."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError, LookupError) as exc:
            # The message says nothing about the body: it may hold a password.
            raise ParseError("The body is not valid JSON.") from exc


class JSONAPIParser(JSONParser):
    """``application/vnd.api+json`` bodies; views unwrap ``data.attributes``."""

    media_type = "application/vnd.api+json"


class FormParser(DRFFormParser):
    """``application/x-www-form-urlencoded`` (DRF's parser)."""


class MultiPartParser(DRFMultiPartParser):
    """``multipart/form-data`` (DRF's parser; what ``curl -F`` and browsers' FormData send)."""
