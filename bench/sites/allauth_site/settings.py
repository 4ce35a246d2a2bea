"""django-allauth with MFA (TOTP, recovery codes) and its headless JSON API.

Rate limits are off: allauth limits logins to 30 a minute per IP by default,
which would make a load test from 127.0.0.1 measure the limiter, not the login.
django-twostep has no IP limit by default either.
"""

from benchkit.settings_base import *  # noqa: F403
from benchkit.settings_base import BASE_APPS, BASE_MIDDLEWARE

INSTALLED_APPS = [
    *BASE_APPS,
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth_site",
]
MIDDLEWARE = [*BASE_MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ROOT_URLCONF = "allauth_site.urls"
WSGI_APPLICATION = "allauth_site.wsgi.application"
LOGIN_URL = "/accounts/login/"

ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
HEADLESS_CLIENTS = ("app", "browser")
