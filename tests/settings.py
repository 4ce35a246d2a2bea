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
]
MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]  # noqa: F405
TWO_FACTOR_PATCH_ADMIN = False
MFA_ADAPTER = "tests.importing.peers.EncryptingMFAAdapter"
