"""Django's own one-step login, the floor: contrib.auth's ``LoginView``, no second factor.

The same base as every contender (``benchkit.settings_base``: the hasher, the
database, the session engine), Django's middleware only.
"""

from benchkit.settings_base import *  # noqa: F403
from benchkit.settings_base import BASE_APPS, BASE_MIDDLEWARE

INSTALLED_APPS = [*BASE_APPS, "django_site"]
MIDDLEWARE = list(BASE_MIDDLEWARE)
ROOT_URLCONF = "django_site.urls"
WSGI_APPLICATION = "django_site.wsgi.application"
LOGIN_URL = "login"
