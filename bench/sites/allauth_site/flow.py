"""django-allauth: login page, then the 2FA page; headless app API for JSON."""

from benchkit.browser import Browser, FlowError, Response
from benchkit.totp import CodeSource

LABEL = "django-allauth"
LOGIN = "/accounts/login/?next=/whoami/"
PROTECTED = "/whoami/"
HTML_STEPS = "GET login, POST password (302), GET 2FA page, POST code (302), GET protected page"
JSON_STEPS = (
    "POST _allauth/app/v1/auth/login (401, session token), "
    "POST _allauth/app/v1/auth/2fa/authenticate (200), "
    "GET _allauth/app/v1/auth/session (X-Session-Token)"
)
API = "/_allauth/app/v1"


def html_login(b: Browser, username: str, password: str, code: CodeSource) -> Response | None:
    page = b.get(LOGIN).expect(200)
    sent = b.post_form(*page.form('name="login"', login=username, password=password)).expect(302)
    step2 = b.follow(sent).expect(200)
    if 'name="code"' not in step2.body:
        raise FlowError("password step did not lead to the 2FA page")
    done = b.post_form(*step2.form('name="code"', code=code()))
    if done.status == 200:
        return None  # the 2FA page again, with an error
    return b.follow(done.expect(302))


def json_login(
    b: Browser, username: str, password: str, code: CodeSource
) -> tuple[Response | None, str]:
    """(the protected answer, the username it names) or (None, "") when refused."""
    first = b.post_json(f"{API}/auth/login", {"username": username, "password": password})
    first.expect(401)
    payload = first.json()
    flows = [f.get("id") for f in payload["data"]["flows"] if f.get("is_pending")]
    if flows != ["mfa_authenticate"]:
        raise FlowError(f"login did not ask for 2FA: {payload}")
    headers = {"X-Session-Token": payload["meta"]["session_token"]}
    second = b.post_json(f"{API}/auth/2fa/authenticate", {"code": code()}, headers=headers)
    if second.status == 400:
        return None, ""
    second.expect(200)
    headers = {"X-Session-Token": second.json()["meta"]["session_token"]}
    me = b.get(f"{API}/auth/session", headers=headers).expect(200)
    return me, me.json()["data"]["user"]["username"]
