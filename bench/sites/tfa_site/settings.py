"""django-two-factor-auth, configured as its documentation says (TOTP via django-otp)."""

from benchkit.settings_base import *  # noqa: F403
from benchkit.settings_base import BASE_APPS, BASE_MIDDLEWARE

INSTALLED_APPS = [
    *BASE_APPS,
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "tfa_site",
]
_auth = BASE_MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE = [
    *BASE_MIDDLEWARE[: _auth + 1],
    "django_otp.middleware.OTPMiddleware",
    *BASE_MIDDLEWARE[_auth + 1 :],
]
ROOT_URLCONF = "tfa_site.urls"
WSGI_APPLICATION = "tfa_site.wsgi.application"
LOGIN_URL = "two_factor:login"
