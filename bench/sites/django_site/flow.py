"""Django's one-step login (the floor): contrib.auth's ``LoginView``, then the page.

No second factor: the password logs the user in. The bench's timed logins and
self-checks pass every flow the user's authenticator app (``code``); this one
never reads it, and a *wrong* credential (the self-check's and the load
generator's refusal check) is a wrong password here.
"""

from benchkit.browser import Browser, Response
from benchkit.totp import CodeSource

LABEL = "Django one-step login (floor)"
LOGIN = "/accounts/login/?next=/whoami/"
PROTECTED = "/whoami/"
HTML_STEPS = "GET login, POST password (302), GET protected page"
JSON_STEPS = None  # Django has no JSON login
WRONG_PASSWORD = "not-the-bench-password"


def html_login(b: Browser, username: str, password: str, code: CodeSource) -> Response | None:
    """The protected page's response, or None when the password was refused."""
    if getattr(code, "wrong", False):
        password = WRONG_PASSWORD
    page = b.get(LOGIN).expect(200)
    done = b.post_form(*page.form('name="username"', username=username, password=password))
    if done.status == 200:
        return None  # the login page again, with an error
    return b.follow(done.expect(302))
