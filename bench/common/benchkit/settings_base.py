"""Settings shared by every bench site; each site adds its apps, middleware and URLs.

Environment:
- BENCH_DB: ``sqlite:///path`` or ``postgres://user@host:port/name``.
- BENCH_HASHER: ``md5`` (default; the framework comparison) or ``pbkdf2``
  (Django's default hasher, reported separately).
- BENCH_SESSIONS: ``db`` (default; Django's default database sessions) or
  ``cookies`` (Django's signed-cookie sessions: no session query at all, and
  shared by gunicorn's workers without a cache server). The same for every
  contender; ``bench/run.py --sessions`` sets it.
"""

import os
from urllib.parse import urlparse


def database(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": parsed.path,
            # WAL and IMMEDIATE transactions so two gunicorn workers writing at
            # once wait for each other instead of failing with "locked".
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # Persistent connections, as a production site would configure
            # (and as the in-process test client effectively has).
            "CONN_MAX_AGE": 600,
        }
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.path.lstrip("/"),
            "USER": parsed.username or "postgres",
            "PASSWORD": parsed.password or "",
            "HOST": parsed.hostname or "127.0.0.1",
            "PORT": parsed.port or 5432,
            "CONN_MAX_AGE": 600,
        }
    raise ValueError(f"unsupported BENCH_DB {url!r}")


SECRET_KEY = "bench-only-not-secret-7d1e0c4b9a8f6e5d4c3b2a1908f7e6d5"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {"default": database(os.environ.get("BENCH_DB", "sqlite:////tmp/bench.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("BENCH_HASHER", "md5") == "md5":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cookies": "django.contrib.sessions.backends.signed_cookies",
}
_sessions = os.environ.get("BENCH_SESSIONS", "db")
if _sessions not in _SESSION_ENGINES:
    raise ValueError(f"BENCH_SESSIONS must be one of {sorted(_SESSION_ENGINES)}, not {_sessions!r}")
SESSION_ENGINE = _SESSION_ENGINES[_sessions]

BASE_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
PROTECTED_URL = "/whoami/"
LOGIN_REDIRECT_URL = PROTECTED_URL
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}
