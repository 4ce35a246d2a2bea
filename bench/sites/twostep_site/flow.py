"""django-twostep: page 1 (password), page 2 (code); the two-request JSON login.

Written against SPEC sections 3 and 4: ``twostep:login`` at ``accounts/login/``
(fields ``username``, ``password``, ``next``), ``twostep:login-code`` at
``accounts/login/code/`` (field ``code``), ``POST api/v1/auth/login`` then
``POST api/v1/auth/two-factor``, bearer tokens.
"""

from benchkit.browser import Browser, FlowError, Response
from benchkit.totp import CodeSource

LABEL = "django-twostep"
LOGIN = "/accounts/login/?next=/whoami/"
PROTECTED = "/whoami/"
HTML_STEPS = "GET login, POST password (302), GET code page, POST code (302), GET protected page"
JSON_STEPS = (
    "POST api/v1/auth/login (401 two_factor_required), POST api/v1/auth/two-factor (200 token), "
    "GET a bearer-protected API view"
)
API = "/api/v1"


def json_absent() -> str | None:
    """Why the JSON flow cannot exist here (the API half is optional), or None."""
    import importlib.util

    try:
        found = importlib.util.find_spec("django_twostep.api.urls")
    except ModuleNotFoundError:
        found = None
    return None if found else "django_twostep.api.urls does not exist (the API half is optional)"


WHOAMI_API = "/bench-api/whoami"


def html_login(b: Browser, username: str, password: str, code: CodeSource) -> Response | None:
    page = b.get(LOGIN).expect(200)
    sent = b.post_form(*page.form('name="username"', username=username, password=password))
    step2 = b.follow(sent.expect(302)).expect(200)
    if 'name="code"' not in step2.body:
        raise FlowError("the password page did not lead to the code page")
    done = b.post_form(*step2.form('name="code"', code=code()))
    if done.status == 200:
        return None  # page 2 again, with an error
    return b.follow(done.expect(302))


def json_login(
    b: Browser, username: str, password: str, code: CodeSource
) -> tuple[Response | None, str]:
    first = b.post_json(f"{API}/auth/login", {"username": username, "password": password})
    first.expect(401)
    payload = first.json()
    if payload["errors"][0]["code"] != "two_factor_required":
        raise FlowError(f"login did not ask for the second factor: {payload}")
    second = b.post_json(
        f"{API}/auth/two-factor",
        {"two_factor_id": payload["meta"]["two_factor_id"], "code": code()},
    )
    if second.status == 400:
        return None, ""
    token = second.expect(200).json()["access_token"]
    me = b.get(WHOAMI_API, headers={"Authorization": f"Bearer {token}"}).expect(200)
    return me, me.json()["username"]
