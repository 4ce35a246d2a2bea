"""Settings of the example site: everything django-twostep needs, and little else.

Environment variables:
- DATABASE_URL: ``sqlite:///path`` (default: example.sqlite3 beside manage.py)
  or ``postgres://user@host:port/name``.
- DJANGO_DEBUG: "0" turns DEBUG off.
- TWOSTEP_CHALLENGE_TTL, TWOSTEP_STEP_UP_GRACE, TWOSTEP_EMAIL_CODE_TTL,
  TWOSTEP_THROTTLE_FACTOR, TWOSTEP_API_CHALLENGE_STATUS, TWOSTEP_REQUIRED:
  override the django-twostep setting of the same name.
"""

import os
from pathlib import Path

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "example-only-not-secret-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f"
)
DEBUG = os.environ.get("DJANGO_DEBUG", "1") != "0"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_twostep",
    "rest_framework",
    "example_project",
]

try:  # the OpenAPI schema at /api/schema/ and its docs page at /api/docs/ ("openapi" extra)
    import drf_spectacular  # noqa: F401
except ImportError:
    pass
else:
    INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
    REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
    SPECTACULAR_SETTINGS = {
        "TITLE": "django-twostep API",
        "DESCRIPTION": (
            "Two-step login with bearer tokens, TOTP enrolment, recovery codes and step-up. "
            'Every error is an envelope {"errors": [...]} with a stable code.'
        ),
        "VERSION": "1",
        "SERVE_INCLUDE_SCHEMA": False,
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
    }

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "example_project.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language (Accept-Language) for django-twostep's pages, e-mails and API errors.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_twostep.middleware.TwoStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "example_project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite, the embedded default, set up for concurrent writers (docs/deployment.md):
# every transaction takes the write lock at BEGIN (IMMEDIATE), so two requests
# never deadlock upgrading a read to a write ("database is locked" at once);
# WAL lets readers go on beside the writer; a writer waits up to 20 s for the
# lock instead of failing. What still fails answers 503, never 500.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database(url: str) -> dict:
    """A DATABASES entry for ``url`` (dj-database-url), with SQLITE_OPTIONS for SQLite."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
    return config


DATABASES = {
    "default": database(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'example.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
# The languages django-twostep ships catalogs for (docs/i18n.md).
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("nl", "Nederlands"),
    ("pt-br", "Português (Brasil)"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
LOGIN_URL = "twostep:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Mails go to the console, and (for the DEBUG-only /outbox/ page) to a file.
# Django 6.1 replaced EMAIL_BACKEND with MAILERS.
_MAIL_BACKEND = "example_project.mail.OutboxBackend"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _MAIL_BACKEND}}
else:
    EMAIL_BACKEND = _MAIL_BACKEND
EXAMPLE_OUTBOX_FILE = os.environ.get("EXAMPLE_OUTBOX_FILE") or str(
    BASE_DIR / "example-outbox.jsonl"
)
DEFAULT_FROM_EMAIL = "twostep-demo@example.com"

TWOSTEP_ISSUER = "django-twostep demo"

_INT_SETTINGS = (
    "TWOSTEP_CHALLENGE_TTL",
    "TWOSTEP_STEP_UP_GRACE",
    "TWOSTEP_EMAIL_CODE_TTL",
    "TWOSTEP_API_CHALLENGE_STATUS",
)
for _name in _INT_SETTINGS:
    if os.environ.get(_name):
        globals()[_name] = int(os.environ[_name])
if os.environ.get("TWOSTEP_THROTTLE_FACTOR"):
    TWOSTEP_THROTTLE_FACTOR = float(os.environ["TWOSTEP_THROTTLE_FACTOR"])
if os.environ.get("TWOSTEP_REQUIRED"):
    TWOSTEP_REQUIRED = os.environ["TWOSTEP_REQUIRED"]


def env_flag(name: str, value: str) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off."""
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false, yes/no, on/off)")


_BOOL_SETTINGS = ("TWOSTEP_PASSKEY_LOGIN", "TWOSTEP_API_SEND_USER_LOGGED_IN")
for _name in _BOOL_SETTINGS:
    if os.environ.get(_name):
        globals()[_name] = env_flag(_name, os.environ[_name])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_twostep": {"handlers": ["console"], "level": "INFO"}},
}
