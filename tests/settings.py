"""Test settings: the example site, a fast hasher, SQLite unless DATABASE_URL says otherwise."""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import database

# In-memory SQLite for speed (configured as the example's file); DATABASE_URL=postgres://...
# runs the suite on PostgreSQL.
DATABASES = {"default": database(os.environ.get("DATABASE_URL") or "sqlite://")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# The peers twostep_import reads (tests/importing/), installed as a migrating
# site has them next to django-twostep. Kept harmless for the rest of the suite:
# django-two-factor-auth does not patch the admin, allauth's middleware (which
# allauth.account requires) goes last and only acts on allauth's own URLs, and
# none of their URLs are routed except in tests/importing/urls.py.
INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "formtools",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # The WebAuthn peers twostep_import reads (tests/importing/test_webauthn_*).
    "two_factor.plugins.webauthn",
    "django_otp_webauthn",
]
MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]  # noqa: F405
# The WebAuthn peers' own settings, for the relying party the test client is.
TWO_FACTOR_WEBAUTHN_RP_NAME = "django-twostep tests"
OTP_WEBAUTHN_RP_ID = "testserver"
OTP_WEBAUTHN_RP_NAME = "django-twostep tests"
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://testserver"]
# django-otp-webauthn refuses plain-HTTP origins but localhost in a system check
# (not in its ceremonies); the test client's origin is http://testserver.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E031"]
TWO_FACTOR_PATCH_ADMIN = False
MFA_ADAPTER = "tests.importing.peers.EncryptingMFAAdapter"
