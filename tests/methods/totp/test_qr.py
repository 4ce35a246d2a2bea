"""QR codes decode (with zbar, a real decoder) to the exact otpauth URI."""

import base64

import pytest

from django_twostep import qr
from django_twostep.methods.totp import flows as totp_flows
from tests.optional import decode_qr

pytestmark = pytest.mark.django_db


def decode_png(png: bytes) -> list[str]:
    return decode_qr(png)


def test_api_png_decodes_to_the_exact_uri(django_user_model, twostep_clock):
    user = django_user_model.objects.create_user("grace+qr@example.com", password="pw")
    enrollment = totp_flows.begin_totp_setup(user)
    png = base64.b64decode(enrollment.qr_png_base64(), validate=True)
    assert png.startswith(b"\x89PNG")
    assert decode_png(png) == [enrollment.uri]


def test_svg_is_inline_without_style_attributes_and_with_quiet_zone():
    uri = "otpauth://totp/Issuer:someone?secret=JBSWY3DPEHPK3PXP&issuer=Issuer"
    markup = qr.svg(uri, scale=4)
    assert markup.startswith("<svg") and "<?xml" not in markup
    assert "style=" not in markup and "<style" not in markup
    assert 'class="twostep-qr"' in markup
    assert "<title>" in markup
    # White background drawn, black modules: scannable on a dark page.
    assert 'fill="#fff"' in markup and 'stroke="#000"' in markup
    # Four modules of quiet zone each side: size = (modules + 8) * scale.
    modules = qr._make(uri).symbol_size(scale=1, border=0)[0]
    assert f'width="{(modules + 8) * 4}"' in markup


def test_svg_and_png_encode_the_same_matrix():
    uri = "otpauth://totp/Issuer:someone?secret=JBSWY3DPEHPK3PXP&issuer=Issuer"
    assert decode_png(qr.png_bytes(uri)) == [uri]
