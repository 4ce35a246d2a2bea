"""Response renderers: JSON, also under the JSON:API media type for clients that ask for it."""

from rest_framework.renderers import JSONRenderer as DRFJSONRenderer


class JSONRenderer(DRFJSONRenderer):
    """``application/json``."""

    media_type = "application/json"


class JSONAPIRenderer(DRFJSONRenderer):
    """``application/vnd.api+json``: the same bodies; the error envelope is JSON:API's."""

    media_type = "application/vnd.api+json"
