"""Test settings: the example site, a fast hasher, SQLite unless DATABASE_URL says otherwise."""

import os

from example_project.dburl import parse_database_url
from example_project.settings import *  # noqa: F403

# In-memory SQLite for speed; DATABASE_URL=postgres://... runs the suite on PostgreSQL.
DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL") or "sqlite://")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
