"""QR codes for otpauth URIs, rendered with segno.

The SVG goes inline into pages: it has no ``style`` attributes (so it works
under a strict Content-Security-Policy), a white background and the standard
four-module quiet zone, so it scans in dark mode too. The PNG is for the API.
"""

from __future__ import annotations

import base64
import io

import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def _make(uri: str) -> segno.QRCode:
    return segno.make(uri, error="m", micro=False)


def svg(uri: str, *, scale: int = 4) -> SafeString:
    """Inline SVG markup for ``uri`` (safe to place in a template as is)."""
    markup = _make(uri).svg_inline(
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="twostep-qr",
        lineclass=None,
        title=_("QR code for your authenticator app"),
    )
    return mark_safe(markup)  # noqa: S308  (segno escapes the title; the rest is generated)


def png_bytes(uri: str, *, scale: int = 5) -> bytes:
    buffer = io.BytesIO()
    _make(uri).save(buffer, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return buffer.getvalue()


def png_base64(uri: str, *, scale: int = 5) -> str:
    """The PNG as plain base64 (no ``data:`` prefix), as the API returns it."""
    return base64.b64encode(png_bytes(uri, scale=scale)).decode("ascii")
