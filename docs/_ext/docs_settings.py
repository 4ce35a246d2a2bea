"""Django settings for building the docs: enough to import every module autodoc reads.

Nothing is served and no database is opened; the apps are those of a site with
the pages and the API (README, "Add it to a site").
"""

SECRET_KEY = "docs-build-only"  # the build serves nothing
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_otp",
    "django_twostep",
    "rest_framework",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
