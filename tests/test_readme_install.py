"""The README's "Add it to a site" steps work as written.

The snippets are read from README.md itself, so the README and this test cannot
drift apart: a new project made by ``django-admin startproject`` gets exactly
those lines appended to its settings.py and urls.py, passes ``manage.py check``
and ``migrate``, and then, in a process of its own that runs on the new
project's settings, a user sets up an authenticator app on the pages and logs
in on two pages, and an API client logs in with a code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Add it to a site"
MAX_EDITS = 4

STEP = re.compile(r"^(\d+)\. ")
FENCE = re.compile(r"^(\s*)```python\s*$")


def install_steps() -> list[tuple[int, str, str]]:
    """(step number, file it edits, code) for each numbered step of the section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) + len(SECTION) :]
    section = section[: section.index("\n## ")]
    lines = section.splitlines()
    steps: list[tuple[int, str, str]] = []
    number = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if match := STEP.match(line):
            number = int(match.group(1))
        elif match := FENCE.match(line):
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            code = textwrap.dedent("\n".join(lines[index + 1 : end]))
            target = code.splitlines()[0].removeprefix("# ").strip()
            assert number is not None, f"a snippet outside the numbered steps:\n{code}"
            steps.append((number, target, code))
            index = end
        index += 1
    return steps


def test_the_quick_install_takes_at_most_four_edits():
    steps = install_steps()
    numbers = [number for number, _, _ in steps]
    assert numbers == list(range(1, len(steps) + 1)), "one snippet per numbered step"
    assert 1 <= len(steps) <= MAX_EDITS
    assert {target for _, target, _ in steps} == {"settings.py", "urls.py"}


# Run in the new project, on its own settings: enrolment and two-step logins.
JOURNEY = r"""
import json
import re

import django

django.setup()

from django.test.utils import setup_test_environment

setup_test_environment()  # the test client's host, e-mails kept in memory

import pyotp
from django.contrib.auth import get_user_model
from django.test import Client

from django_twostep import clock
from django_twostep.testing import Clock

frozen = Clock()
clock.time = frozen.time  # codes of the next time step without waiting for it
PASSWORD = "correct horse battery staple"
get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)
credentials = {"username": "ada", "password": PASSWORD}
done = []

# Page 1 logs a user without a method straight in; she sets up an app.
browser = Client()
assert browser.post("/accounts/login/", credentials).status_code == 302
assert browser.session.get("_auth_user_id")
page = browser.get("/accounts/two-factor/totp/setup/").content.decode()
secret = re.search(r'id="twostep-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
app = pyotp.TOTP(secret)
activated = browser.post("/accounts/two-factor/totp/setup/", {"code": app.at(frozen.time())})
assert activated["Location"] == "/accounts/two-factor/recovery-codes/", activated
codes = browser.get(activated["Location"]).content.decode()
assert codes.count('<code translate="no">') == 10
done.append("enrolled on the pages")

# Log out; in again on two pages.
browser.post("/accounts/logout/")
frozen.advance(30)
browser = Client()
page1 = browser.post("/accounts/login/", credentials)
assert page1["Location"] == "/accounts/login/code/", page1
assert not browser.session.get("_auth_user_id")
page2 = browser.post("/accounts/login/code/", {"code": app.at(frozen.time())})
assert page2.status_code == 302, page2.status_code
assert browser.session.get("_auth_user_id") and browser.session.get("otp_device_id")
settings_page = browser.get("/accounts/two-factor/")
assert settings_page.status_code == 200 and settings_page.wsgi_request.user.is_verified()
done.append("logged in on two pages")

# The API: password, then the code, then a bearer token.
frozen.advance(30)
api = Client()
challenge = api.post("/api/v1/auth/login", credentials, content_type="application/json")
assert challenge.status_code == 401, challenge.content
assert challenge.json()["errors"][0]["code"] == "two_factor_required"
second = {"two_factor_id": challenge.json()["meta"]["two_factor_id"], "code": app.at(frozen.time())}
tokens = api.post("/api/v1/auth/two-factor", second, content_type="application/json").json()
status = api.get("/api/v1/users/me/otp", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
assert status.json()["enabled"] is True, status.content
done.append("logged in through the API")
print(json.dumps(done))
"""


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_readme_install_steps_work_on_a_new_project(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    site = tmp_path / "site"
    site.mkdir()
    run([sys.executable, "-m", "django", "startproject", "mysite", str(site)], tmp_path, env)
    for _, target, code in install_steps():
        path = site / "mysite" / target
        path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code + "\n", encoding="utf-8")

    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    manage = [sys.executable, "manage.py"]
    run([*manage, "check", "--fail-level", "WARNING"], site, env)
    run([*manage, "migrate", "--noinput"], site, env)
    (site / "journey.py").write_text(JOURNEY, encoding="utf-8")
    done = run([sys.executable, "journey.py"], site, env)
    assert done.strip().splitlines()[-1] == (
        '["enrolled on the pages", "logged in on two pages", "logged in through the API"]'
    )
