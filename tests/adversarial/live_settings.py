"""Settings of the live (gunicorn) server of tests/adversarial: the example project as is,
with two changes that only buy speed and evidence.

- The MD5 hasher, as in the rest of the suite: PBKDF2's million iterations would
  make every password step of the races cost a second of CPU on CI's two cores,
  and the hasher plays no part in what these tests attack.
- Every logger at DEBUG on stderr, which the fixture keeps in a file and scans
  for secrets when the session ends (tests/adversarial/conftest.py).
"""

from example_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(process)d %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "DEBUG"},
    "loggers": {
        "django": {"level": "DEBUG"},
        "django_twostep": {"level": "DEBUG"},
    },
}
