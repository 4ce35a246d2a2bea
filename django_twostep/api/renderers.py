"""Response renderers: JSON, also under the JSON:API media type for clients that ask for it.

Both escape non-ASCII characters, so no string can make rendering fail (a lone
surrogate cannot be encoded as UTF-8, but ``\\ud800`` is valid JSON).
"""

from rest_framework.renderers import JSONRenderer as DRFJSONRenderer


class JSONRenderer(DRFJSONRenderer):
    """``application/json``."""

    media_type = "application/json"
    ensure_ascii = True


class JSONAPIRenderer(DRFJSONRenderer):
    """``application/vnd.api+json``: the same bodies; the error envelope is JSON:API's."""

    media_type = "application/vnd.api+json"
    ensure_ascii = True
