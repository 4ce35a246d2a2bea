"""The two login pages and logout.

Page 1 (:class:`LoginView`) takes the password; page 2 (:class:`LoginCodeView`)
the second factor. What a right password leads to is decided by
:func:`django_twostep.flows.password_accepted`; completing the pending login by
:func:`django_twostep.flows.verify_login_code`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import FormView

from .. import flows, state
from ..conf import twostep_settings
from ..flows import trust
from ..forms import LoginCodeForm, LoginForm
from ..http import site_from_request
from ..methods import get_method
from ..redirects import REDIRECT_FIELD_NAME, requested_next_url, safe_next_url, url_with_next
from .base import CodeFormMixin, OriginMixin, after_login_url, complete_login, protected
from .offers import (
    OtherMethod,
    ceremonies_of,
    codes_of,
    method_offers,
    other_ways,
    shows_code_field,
)

# Why page 1 is shown again (kept in the session by :mod:`state`).
LOGIN_NOTICES: dict[str, str | Promise] = {
    "two_factor_expired": _("Your login took too long and has expired. Please log in again."),
    "attempts_exhausted": _("Too many wrong codes. Please log in again."),
    "passkey_refused": _(
        "Your passkey could not be verified. Try again, or log in with your password."
    ),
    "passkey_throttled": _(
        "Too many failed attempts for this account. Wait a moment, then try again."
    ),
}

# The method whose discoverable credentials (passkeys) log in without the password.
PASSKEY_METHOD = "webauthn"


def passkey_login_offered() -> bool:
    """Page 1 offers "Log in with a passkey": ``TWOSTEP_PASSKEY_LOGIN`` is on and the
    security-key method is in ``TWOSTEP_METHODS``."""
    return bool(twostep_settings.PASSKEY_LOGIN) and get_method(PASSKEY_METHOD) is not None


def messages_waiting(request: HttpRequest) -> bool:
    """Whether the page shows a message (read without using it up)."""
    return len(get_messages(request)) > 0


@protected
class LoginView(OriginMixin, FormView):
    """Page 1: username and password.

    A user without a method (or in a browser they trust) is logged in at once;
    anyone else gets a pending login in the session and goes to page 2,
    still logged out.
    """

    template_name = "django_twostep/login.html"
    form_class = LoginForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs

    def get_form(self, form_class: Any = None) -> LoginForm:
        form = super().get_form(form_class)
        if self.passkey_login:
            # Conditional UI: the browser offers passkeys in the field's autofill.
            form.fields["username"].widget.attrs["autocomplete"] = "username webauthn"
        return form

    @property
    def passkey_login(self) -> bool:
        return passkey_login_offered()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        notice = state.pop_login_notice(self.request)
        context.update(
            {
                REDIRECT_FIELD_NAME: requested_next_url(self.request),
                "notice": notice,
                "notice_message": LOGIN_NOTICES.get(notice or ""),
                "passkey_login": self.passkey_login,
                # How long a passkey ceremony's options stay good (the script asks
                # for new ones before then).
                "passkey_ttl": twostep_settings.CHALLENGE_TTL,
            }
        )
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:
        request = self.request
        user = form.get_user()
        next_url = requested_next_url(request)
        backend = getattr(user, "backend", None)
        state.clear_pending_login(request)
        token = state.trusted_browser_token(request, max_age=trust.trust_max_age())
        step = flows.password_accepted(user, trusted_browser=token, origin=self.origin)
        if step.pending is None:
            complete_login(request, user, step.verification, backend=backend, fresh_code=step.fresh)
            return HttpResponseRedirect(after_login_url(user, next_url))
        state.start_pending_login(
            request,
            challenge_id=step.pending.id,
            backend=backend or "",
            next_url=next_url,
            methods=step.pending.methods,
            expires_in=step.pending.expires_in,
        )
        return HttpResponseRedirect(reverse("twostep:login-code"))


@protected
class LoginCodeView(CodeFormMixin, FormView):
    """Page 2: the code. Right: logged in and verified. Wrong: the page again, with
    an error. Throttled: 429 and the wait in seconds. Out of attempts or expired:
    back to page 1 with a notice."""

    template_name = "django_twostep/login_code.html"
    form_class = LoginCodeForm
    pending: state.PendingLoginState

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        pending = state.pending_login(request)
        if pending is None:
            return HttpResponseRedirect(reverse("twostep:login"))
        self.pending = pending
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Shown from the session alone: the challenge is checked when a code is
        # posted, so reading the page costs no query.
        if self.pending.expired():
            return self.start_again("two_factor_expired")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            challenge_id=self.pending.challenge_id,
            remember_days=trust.remember_days(),
            site=site_from_request(self.request),
        )
        return kwargs

    def get_methods(self) -> list[str]:
        return self.pending.methods

    def get_other_methods(self) -> list[OtherMethod]:
        """Other ways through page 2, listed under the form (links; a method's own
        buttons, such as "E-mail me a code", come from its ``login_action`` template)."""
        here = reverse("twostep:login-code")
        return other_ways(self.pending.methods, self.use_recovery_field(), here)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        recovery = self.use_recovery_field()
        shown = method_offers(self.pending.methods, recovery)
        # After a POST the field's error says it; on GET, the wait this browser
        # was last told about, if it is not over.
        wait = self.pending.wait() if self.request.method == "GET" else 0
        context.update(
            {
                "methods": self.pending.methods,
                # A security key's button first (its ceremony starts at once), then
                # the lines above the code field (the recovery field's own when
                # shown), and every method's buttons below it.
                "ceremonies": ceremonies_of(shown),
                "hints": codes_of(shown),
                "code_field": shows_code_field(shown, recovery),
                "offers": method_offers(self.pending.methods, False),
                "other_methods": self.get_other_methods(),
                "wait": wait,
                # The ceremony starts by itself on a plain visit of the page, not
                # after a refusal, a wait or a message (such as "code sent").
                "autostart": self.request.method == "GET"
                and not wait
                and not messages_waiting(self.request),
            }
        )
        return context

    def form_valid(self, form: LoginCodeForm) -> HttpResponse:
        request = self.request
        result: flows.LoginResult = form.result
        state.clear_pending_login(request)
        complete_login(request, result.user, result.verification, backend=self.pending.backend)
        next_url = safe_next_url(request, self.pending.next_url)  # checked again, to be sure
        response = HttpResponseRedirect(after_login_url(result.user, next_url))
        if form.cleaned_data.get("remember"):
            trusted = trust.trust_browser(result.user, origin=self.origin)
            if trusted is not None:
                state.set_trusted_browser_cookie(
                    request, response, token=trusted.token, max_age=trusted.max_age
                )
        return response

    def form_invalid(self, form: LoginCodeForm) -> HttpResponse:
        error = form.flow_error
        if error is not None and error.code == "two_factor_expired":
            return self.start_again(error.code)
        if (
            error is not None
            and error.code in ("invalid_code", "invalid_credential")
            and not error.meta.get("attempts_left", 1)
        ):
            return self.start_again("attempts_exhausted")
        if form.retry_after:
            state.note_pending_login_wait(self.request, form.retry_after)
        return super().form_invalid(form)

    def start_again(self, notice: str) -> HttpResponse:
        """Back to page 1 (the pending login is dead), saying why."""
        state.clear_pending_login(self.request)
        state.set_login_notice(self.request, notice)
        return HttpResponseRedirect(url_with_next("twostep:login", self.pending.next_url))


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LogoutView(View):
    """Log out (POST only) and go to a validated ``next``, ``LOGOUT_REDIRECT_URL`` or page 1."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        auth.logout(request)
        fallback = settings.LOGOUT_REDIRECT_URL
        target = requested_next_url(request) or (
            resolve_url(fallback) if fallback else reverse("twostep:login")
        )
        return HttpResponseRedirect(target)


__all__ = [
    "LOGIN_NOTICES",
    "LoginCodeView",
    "LoginView",
    "LogoutView",
    "OtherMethod",
    "passkey_login_offered",
]
