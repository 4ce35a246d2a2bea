"""tests.settings plus the WebAuthn peers twostep_import reads.

django-two-factor-auth's WebAuthn plug-in and django-otp-webauthn, installed
and configured as a site that uses them has them, for the relying party the
test client is (``testserver``, origin ``http://testserver``). Run the import
tests with ``--ds tests.importing.settings`` while tests/settings.py does not
list them; the WebAuthn-peer tests skip, saying so, without them.
"""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

PEER_WEBAUTHN_APPS = ["two_factor.plugins.webauthn", "django_otp_webauthn"]
INSTALLED_APPS = [
    *INSTALLED_APPS,
    *(app for app in PEER_WEBAUTHN_APPS if app not in INSTALLED_APPS),
]

# django-two-factor-auth's plug-in refuses to start without a relying-party name.
TWO_FACTOR_WEBAUTHN_RP_NAME = "django-twostep tests"
# django-otp-webauthn's system checks want the relying party and its origins.
OTP_WEBAUTHN_RP_ID = "testserver"
OTP_WEBAUTHN_RP_NAME = "django-twostep tests"
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://testserver"]
# It refuses plain-HTTP origins other than localhost in a system check (not in
# the ceremonies); the test client's origin is http://testserver.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "otp_webauthn.E031"]
