"""django-two-factor-auth's login: one wizard URL, password step then token step."""

from benchkit.browser import Browser, FlowError, Response
from benchkit.totp import CodeSource

LABEL = "django-two-factor-auth"
LOGIN = "/account/login/?next=/whoami/"
PROTECTED = "/whoami/"
HTML_STEPS = "GET login, POST password (200: the token step), POST code (302), GET protected page"
JSON_STEPS = None  # django-two-factor-auth has no JSON API


def html_login(b: Browser, username: str, password: str, code: CodeSource) -> Response | None:
    """The protected page's response, or None when the code was refused."""
    page = b.get(LOGIN).expect(200)
    step2 = b.post_form(
        *page.form('name="auth-username"', **{"auth-username": username, "auth-password": password})
    ).expect(200)
    if 'name="token-otp_token"' not in step2.body:
        raise FlowError("the password step did not lead to the token step")
    done = b.post_form(*step2.form('name="token-otp_token"', **{"token-otp_token": code()}))
    if done.status == 200:
        return None  # the token step again, with an error
    return b.follow(done.expect(302))
