"""Build the browser tests' template database: migrate it and add the people in it.

Run as ``python -m tests.browser.seed`` with ``DATABASE_URL`` naming a fresh
database; prints what the tests need to know as JSON (passwords, and the
authenticator secret and recovery codes of the user enrolled here). Every
live site of the browser tests starts from a copy of this database.

People:

- ``demo`` (password ``twostep-demo-1``, from ``manage.py create_demo_user``):
  no two-step login yet, as after ``make demo``.
- ``alice``: an authenticator app enrolled and ten recovery codes.
- ``sam``: staff, no two-step login (for ``TWOSTEP_REQUIRED=staff``).

Alice's app was activated an hour before the template was made (the clock is
moved back for it), so every code around the real time is still unused when
a test starts.
"""

from __future__ import annotations

import json
import os
import sys

PASSWORD = "correct horse battery staple"
ENROLLED_AN_HOUR_AGO = 3600


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

    import django

    django.setup()

    import pyotp
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from django_twostep import clock
    from django_twostep.methods.totp import flows as totp_flows

    call_command("migrate", interactive=False, verbosity=0)
    call_command("create_demo_user", stdout=sys.stderr)
    from example_project.management.commands.create_demo_user import (
        DEMO_PASSWORD,
        DEMO_USERNAME,
    )

    users = get_user_model().objects
    alice = users.create_user("alice", email="alice@example.com", password=PASSWORD)
    users.create_user("sam", email="sam@example.com", password=PASSWORD, is_staff=True)

    real_time = clock.time
    then = real_time() - ENROLLED_AN_HOUR_AGO
    clock.time = lambda: then
    try:
        enrollment = totp_flows.begin_totp_setup(alice)
        app = pyotp.TOTP(enrollment.secret)
        activation = totp_flows.activate_totp(alice, app.at(then))
    finally:
        clock.time = real_time

    json.dump(
        {
            "demo": {"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
            "alice": {
                "username": "alice",
                "password": PASSWORD,
                "secret": enrollment.secret,
                "recovery_codes": list(activation.recovery_codes),
            },
            "sam": {"username": "sam", "password": PASSWORD},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
