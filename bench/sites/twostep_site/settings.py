"""django-twostep, installed as the README says (SPEC section 1, with its middleware).

The hot-path figure (h) also compares bearer authentications on this site, so
DRF's token app and django-rest-knox are installed beside it (their tables;
djangorestframework-simplejwt needs none). Neither adds middleware or touches
the login pages.
"""

from benchkit.settings_base import *  # noqa: F403
from benchkit.settings_base import BASE_APPS, BASE_MIDDLEWARE

INSTALLED_APPS = [
    *BASE_APPS,
    "django_otp",
    "django_twostep",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "twostep_site",
]
_auth = BASE_MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE = [
    *BASE_MIDDLEWARE[: _auth + 1],
    "django_twostep.middleware.TwoStepMiddleware",
    *BASE_MIDDLEWARE[_auth + 1 :],
]
ROOT_URLCONF = "twostep_site.urls"
WSGI_APPLICATION = "twostep_site.wsgi.application"
LOGIN_URL = "twostep:login"
TWOSTEP_ISSUER = "twostep bench"
# Passkeys (the passkey login figure): the load generator talks to 127.0.0.1, which
# is no valid RP id, and the test client to "testserver"; the site names its relying
# party and origin, as a site behind a proxy does (benchkit/passkey.py).
TWOSTEP_WEBAUTHN_RP_ID = "localhost"
TWOSTEP_WEBAUTHN_ORIGINS = ["http://localhost"]
