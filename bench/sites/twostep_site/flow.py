"""django-twostep: page 1 (password), page 2 (code); the two-request JSON login;
the passkey login.

Written against SPEC sections 3, 4 and 7: ``twostep:login`` at ``accounts/login/``
(fields ``username``, ``password``, ``next``), ``twostep:login-code`` at
``accounts/login/code/`` (field ``code``), ``POST api/v1/auth/login`` then
``POST api/v1/auth/two-factor``, bearer tokens; ``POST api/v1/auth/passkey`` then
``POST api/v1/auth/passkey/complete`` with a passkey's assertion.
"""

from benchkit.browser import Browser, FlowError, Response
from benchkit.passkey import Passkey
from benchkit.totp import CodeSource

LABEL = "django-twostep"
LOGIN = "/accounts/login/?next=/whoami/"
PROTECTED = "/whoami/"
HTML_STEPS = "GET login, POST password (302), GET code page, POST code (302), GET protected page"
JSON_STEPS = (
    "POST api/v1/auth/login (401 two_factor_required), POST api/v1/auth/two-factor (200 token), "
    "GET a bearer-protected API view"
)
PASSKEY_STEPS = (
    "POST api/v1/auth/passkey (200 options), POST api/v1/auth/passkey/complete "
    "(200 verified token), GET a bearer-protected API view"
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


def passkey_absent() -> str | None:
    """Why the passkey login cannot be measured here, or None."""
    import importlib.util

    if json_absent():
        return json_absent()
    try:
        found = importlib.util.find_spec("django_twostep.methods.webauthn")
    except ModuleNotFoundError:
        found = None
    return None if found else "django_twostep.methods.webauthn does not exist (no passkeys)"


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


def passkey_login(b: Browser, key: Passkey) -> tuple[Response | None, str]:
    """A login with a passkey alone: no username, no password. ``key`` answers the
    options (a :class:`benchkit.passkey.Passkey`); a refused answer gives None."""
    begun = b.post_json(f"{API}/auth/passkey", {}).expect(200).json()
    answer = key.assert_(begun["publicKey"])
    done = b.post_json(
        f"{API}/auth/passkey/complete", {"passkey_id": begun["passkey_id"], "credential": answer}
    )
    if done.status == 400:
        if done.json()["errors"][0]["code"] != "invalid_credential":
            raise FlowError(f"passkey refused with another error: {done.body[:300]!r}")
        return None, ""
    token = done.expect(200).json()["access_token"]
    me = b.get(WHOAMI_API, headers={"Authorization": f"Bearer {token}"}).expect(200)
    return me, me.json()["username"]
