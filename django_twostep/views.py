"""The pages: thin glue between requests and :mod:`django_twostep.flows`.

Every view here is CSRF-protected, hides ``password`` and ``code`` from error
reports (``sensitive_post_parameters``) and sends ``Cache-Control: no-store``
(``never_cache``). Session state goes through :mod:`django_twostep.state`;
business rules live in flows. Customise with class attributes
(``template_name``, ``form_class``) and the ``get_*`` hooks, or override the
templates (see docs/pages.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View
from django_otp import login as otp_login

from . import flows, qr, state
from .conf import twostep_settings
from .debug import hides_secrets_from_error_reports
from .decorators import step_up_response
from .errors import BUSY_RETRY_AFTER, FlowError, database_busy
from .flows import email as email_flows
from .flows import events, trust
from .flows.codes import Verification
from .flows.events import Origin
from .flows.policy import must_enroll
from .forms import (
    ActivateTOTPForm,
    CodeForm,
    ConfirmEmailForm,
    DisableTOTPForm,
    LoginCodeForm,
    LoginForm,
    RegenerateRecoveryCodesForm,
    StepUpForm,
)
from .http import origin_from_request
from .methods import get_method
from .redirects import REDIRECT_FIELD_NAME, requested_next_url, safe_next_url, url_with_next

BUSY_TEMPLATE = "django_twostep/busy.html"


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 and a page that says to try again in a moment (the database was busy)."""
    context = {"retry_url": request.get_full_path()}
    response = TemplateResponse(request, BUSY_TEMPLATE, context, status=503)
    response["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response


def answers_busy_database(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A busy database (SQLite's lock, a serialization failure) answers :func:`busy_response`,
    never a 500. What the view wrote is rolled back with the failed statement's
    transaction (under ``ATOMIC_REQUESTS``, the request's)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except OperationalError as error:
            if not database_busy(error):
                raise
            if connection.in_atomic_block:
                transaction.set_rollback(True)
        return busy_response(request)

    return wrapper


protected = method_decorator(
    [
        sensitive_post_parameters("password", "code"),
        hides_secrets_from_error_reports,
        csrf_protect,
        never_cache,
        answers_busy_database,  # innermost: its 503 is no-store too
    ],
    name="dispatch",
)

# Why page 1 is shown again (kept in the session by :mod:`state`).
LOGIN_NOTICES: dict[str, str | Promise] = {
    "two_factor_expired": _("Your login took too long and has expired. Please log in again."),
    "attempts_exhausted": _("Too many wrong codes. Please log in again."),
}

EVENT_LABELS: dict[str, str | Promise] = {
    "enabled": _("Two-step login turned on"),
    "disabled": _("Two-step login turned off"),
    "challenge_created": _("Password accepted, code asked for"),
    "verified": _("Second step passed"),
    "code_failed": _("Wrong code entered"),
    "recovery_code_used": _("Recovery code used"),
    "throttled": _("Code refused: too many wrong codes"),
    "trusted_browser_added": _("Browser trusted"),
    "admin_reset": _("Two-step login reset by an administrator"),
    "email_code_sent": _("Code e-mailed"),
    "refresh_token_reused": _("An app's used sign-in token came back: that sign-in was ended"),
    "recovery_codes_regenerated": _("New recovery codes made (the old ones stopped working)"),
}

TRUSTED_BROWSER_LABEL = _("trusted browser")


def method_label(name: str) -> str | Promise:
    """How the activity list names a method (the registry's label; the name if unknown)."""
    if name == trust.TRUSTED_BROWSER_METHOD:
        return TRUSTED_BROWSER_LABEL
    method = get_method(name)
    return method.label if method is not None else name


# -- helpers ------------------------------------------------------------------------


def default_redirect_url() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def after_login_url(user: AbstractBaseUser, next_url: str) -> str:
    """Where a user goes once logged in: set-up first if the policy makes them enrol."""
    if must_enroll(user):
        return url_with_next("twostep:totp-setup", next_url)
    return next_url or default_redirect_url()


def complete_login(
    request: HttpRequest,
    user: AbstractBaseUser,
    verification: Verification,
    *,
    backend: str | None,
    fresh_code: bool = True,
) -> None:
    """Log ``user`` in (new session key) and mark the session verified by ``verification``.

    ``fresh_code`` is False for a trusted browser: the session is verified for
    django-otp (``user.is_verified()``), but step-up still asks for a code.
    """
    auth.login(request, user, backend=backend or None)
    otp_login(request, verification.device)
    if fresh_code:
        state.mark_verified(request)


def activated(request: HttpRequest, activation: flows.Activation) -> None:
    """After a method was activated in this session: only the user's first method
    verifies the session; new recovery codes are kept to be shown once."""
    if activation.verifies:
        otp_login(request, activation.device)
        state.mark_verified(request)
    if activation.recovery_codes:
        state.keep_fresh_recovery_codes(request, activation.recovery_codes)


def notify(request: HttpRequest, level: int, message: str | Promise, code: str) -> None:
    """A flash message tagged ``twostep-<code>`` (silently dropped without the messages app)."""
    messages.add_message(request, level, message, extra_tags=f"twostep-{code}", fail_silently=True)


class OriginMixin:
    request: HttpRequest

    @cached_property
    def origin(self) -> Origin:
        return origin_from_request(self.request)


class CodeFormMixin(OriginMixin):
    """For views with a :class:`~django_twostep.forms.CodeForm`: throttled answers are 429."""

    request: HttpRequest

    def use_recovery_field(self) -> bool:
        return self.request.GET.get("method") == "recovery"

    def get_methods(self) -> list[str]:
        """The methods whose codes this page's field takes (for its help text)."""
        user = self.request.user
        return flows.active_methods(user) if user.is_authenticated else ["totp"]

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()  # type: ignore[misc]
        kwargs.update(
            origin=self.origin, recovery=self.use_recovery_field(), methods=self.get_methods()
        )
        if self.request.user.is_authenticated:
            kwargs["user"] = self.request.user
            kwargs["verified_at"] = state.verified_at(self.request)
        return kwargs

    def form_invalid(self, form: CodeForm) -> HttpResponse:
        error = form.flow_error
        if error is not None and error.code == "mfa_code_missing":
            # The step-up grace ran out while the page was open: step up, come back.
            return HttpResponseRedirect(
                url_with_next("twostep:verify", self.request.get_full_path())
            )
        response = super().form_invalid(form)  # type: ignore[misc]
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        elif error is not None and error.code == "temporarily_unavailable":
            response.status_code = 503  # nothing was checked: the same code works in a moment
            response["Retry-After"] = str(error.retry_after or BUSY_RETRY_AFTER)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["recovery"] = self.use_recovery_field()
        context[REDIRECT_FIELD_NAME] = requested_next_url(self.request)
        return context


# -- page 1 and page 2 ------------------------------------------------------------------


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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        notice = state.pop_login_notice(self.request)
        context.update(
            {
                REDIRECT_FIELD_NAME: requested_next_url(self.request),
                "notice": notice,
                "notice_message": LOGIN_NOTICES.get(notice or ""),
            }
        )
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:
        request = self.request
        user = form.get_user()
        next_url = requested_next_url(request)
        backend = getattr(user, "backend", None)
        state.clear_pending_login(request)
        methods = flows.active_methods(user)
        if not methods:
            auth.login(request, user, backend=backend)
            return HttpResponseRedirect(after_login_url(user, next_url))
        verification = self.trusted_browser_verification(user)
        if verification is not None:
            complete_login(request, user, verification, backend=backend, fresh_code=False)
            return HttpResponseRedirect(after_login_url(user, next_url))
        pending = flows.begin_login(user, origin=self.origin, methods=methods)
        assert pending is not None  # methods is not empty
        state.start_pending_login(
            request,
            challenge_id=pending.id,
            backend=backend or "",
            next_url=next_url,
            methods=pending.methods,
            expires_in=pending.expires_in,
        )
        return HttpResponseRedirect(reverse("twostep:login-code"))

    def trusted_browser_verification(self, user: AbstractBaseUser) -> Verification | None:
        days = trust.remember_days()
        if days <= 0:
            return None
        token = state.trusted_browser_token(self.request, max_age=days * 24 * 3600)
        if token is None:
            return None
        return trust.use_trusted_browser(user, token, origin=self.origin)


@dataclass(frozen=True)
class OtherMethod:
    """A way to pass page 2 other than typing into the code field as shown."""

    key: str
    label: str | Promise
    url: str


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
        kwargs.update(challenge_id=self.pending.challenge_id, remember_days=trust.remember_days())
        return kwargs

    def get_methods(self) -> list[str]:
        return self.pending.methods

    def get_other_methods(self) -> list[OtherMethod]:
        """Other ways through page 2, listed under the form (links; the "E-mail me a
        code" button is the template's block ``email_code``)."""
        here = reverse("twostep:login-code")
        if self.use_recovery_field():
            return [OtherMethod("totp", _("Use your authenticator app"), here)]
        return [OtherMethod("recovery_code", _("Use a recovery code"), f"{here}?method=recovery")]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "methods": self.pending.methods,
                "other_methods": self.get_other_methods(),
                # After a POST the field's error says it; on GET, the wait this
                # browser was last told about, if it is not over.
                "wait": self.pending.wait() if self.request.method == "GET" else 0,
                "email_code_url": reverse("twostep:login-code-email")
                if "email" in self.pending.methods
                else None,
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
            and error.code == "invalid_code"
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


def send_code_and_return(
    request: HttpRequest, send: Callable[[], object], address: str, back_to: str
) -> HttpResponse:
    """Run an e-mail ``send`` flow, say how it went in a message, and go ``back_to``."""
    try:
        send()
    except FlowError as error:
        if error.code == "resend_too_soon" and error.retry_after:
            message = ngettext(
                "A code was sent a moment ago. Wait %(seconds)d second before asking again.",
                "A code was sent a moment ago. Wait %(seconds)d seconds before asking again.",
                error.retry_after,
            ) % {"seconds": error.retry_after}
        else:
            message = error.detail
        notify(request, messages.ERROR, message, error.code)
    else:
        minutes = max(1, twostep_settings.EMAIL_CODE_TTL // 60)
        message = ngettext(
            "We sent a code to %(address)s. It works for %(minutes)d minute.",
            "We sent a code to %(address)s. It works for %(minutes)d minutes.",
            minutes,
        ) % {"address": email_flows.masked_address(address), "minutes": minutes}
        notify(request, messages.SUCCESS, message, "email_code_sent")
    return HttpResponseRedirect(back_to)


@method_decorator(
    [hides_secrets_from_error_reports, csrf_protect, never_cache, answers_busy_database],
    name="dispatch",
)
class LoginEmailCodeView(OriginMixin, View):
    """Page 2's "E-mail me a code" button (POST): sends a code for the pending login."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = state.pending_login(request)
        if pending is None:
            return HttpResponseRedirect(reverse("twostep:login"))
        try:
            user = flows.pending_login(pending.challenge_id).user
        except FlowError:
            return HttpResponseRedirect(reverse("twostep:login-code"))  # page 2 starts again
        return send_code_and_return(
            request,
            lambda: email_flows.send_login_code(pending.challenge_id, origin=self.origin),
            email_flows.user_address(user),
            reverse("twostep:login-code"),
        )


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


# -- step-up ------------------------------------------------------------------------------


@protected
class VerifyView(LoginRequiredMixin, CodeFormMixin, FormView):
    """Step-up: re-enter a code, then back to ``next``. Also verifies the session for
    django-otp (the admin needs that)."""

    template_name = "django_twostep/verify.html"
    form_class = StepUpForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not flows.has_two_factor(user):
            # Nothing to step up to, unless the policy wants a method first.
            return HttpResponseRedirect(after_login_url(user, requested_next_url(request)))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["methods"] = self.get_methods()
        return context

    def form_valid(self, form: StepUpForm) -> HttpResponse:
        verification: Verification = form.result
        otp_login(self.request, verification.device)
        state.mark_verified(self.request)
        return HttpResponseRedirect(requested_next_url(self.request) or reverse("twostep:settings"))


@method_decorator([csrf_protect, never_cache, answers_busy_database], name="dispatch")
class VerifyEmailCodeView(LoginRequiredMixin, OriginMixin, View):
    """The step-up page's "E-mail me a code" button (POST)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        return send_code_and_return(
            request,
            lambda: email_flows.send_step_up_code(user, origin=self.origin),
            email_flows.user_address(user),
            url_with_next("twostep:verify", requested_next_url(request)),
        )


# -- managing two-step login ------------------------------------------------------------------


@protected
class SettingsView(LoginRequiredMixin, TemplateView):
    """Each method's state, links to manage them, trusted browsers and recent activity."""

    template_name = "django_twostep/settings.html"
    activity_limit = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            {
                "two_factor": flows.two_factor_state(user),
                "required": must_enroll(user),
                "trusted_browsers": trust.trusted_browsers(user),
                "remember_days": trust.remember_days(),
                "activity": [
                    {
                        "event": event,
                        "label": EVENT_LABELS.get(event.event, event.event),
                        "method": method_label(event.method) if event.method else "",
                    }
                    for event in events.recent(user, limit=self.activity_limit)
                ],
            }
        )
        return context


@protected
class TOTPSetupView(LoginRequiredMixin, CodeFormMixin, FormView):
    """Authenticator app set-up: QR code (inline SVG, PNG link), manual key, otpauth
    link; the first code activates it and verifies this session."""

    template_name = "django_twostep/totp_setup.html"
    form_class = ActivateTOTPForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and "totp" in flows.active_methods(user):
            message = _("Your authenticator app is already set up.")
            notify(request, messages.INFO, message, "already_enabled")
            return HttpResponseRedirect(reverse("twostep:settings"))
        # Showing the page starts a set-up: a second method needs step-up first.
        return step_up_response(request, change=True) or super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "restart" in request.POST:
            flows.begin_totp_setup(request.user, verified_at=state.verified_at(request))
            return HttpResponseRedirect(
                url_with_next("twostep:totp-setup", requested_next_url(request))
            )
        return super().post(request, *args, **kwargs)

    def use_recovery_field(self) -> bool:
        return False

    @cached_property
    def enrollment(self) -> flows.TOTPEnrollment:
        user = self.request.user
        return flows.pending_totp(user) or flows.begin_totp_setup(
            user, verified_at=state.verified_at(self.request)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "enrollment": self.enrollment,
                "qr_svg": self.enrollment.qr_svg(),
                "png_url": reverse("twostep:totp-qr"),
            }
        )
        return context

    def form_valid(self, form: ActivateTOTPForm) -> HttpResponse:
        activation: flows.Activation = form.result
        activated(self.request, activation)
        notify(self.request, messages.SUCCESS, _("Two-step login is on."), "enabled")
        return HttpResponseRedirect(
            url_with_next("twostep:recovery-codes", requested_next_url(self.request))
        )

    def form_invalid(self, form: ActivateTOTPForm) -> HttpResponse:
        if form.flow_error is not None and form.flow_error.code == "already_enabled":
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().form_invalid(form)


@method_decorator(never_cache, name="dispatch")
class TOTPQRCodeView(LoginRequiredMixin, View):
    """The pending set-up's QR code as a PNG image (for apps and screens that need one)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        enrollment = flows.pending_totp(request.user)
        if enrollment is None:
            return HttpResponseRedirect(reverse("twostep:totp-setup"))
        response = HttpResponse(qr.png_bytes(enrollment.uri), content_type="image/png")
        response["Content-Disposition"] = 'inline; filename="two-step-login-qr.png"'
        return response


@protected
class TOTPDisableView(LoginRequiredMixin, CodeFormMixin, FormView):
    """Turn the authenticator app off with a current code or a recovery code."""

    template_name = "django_twostep/totp_disable.html"
    form_class = DisableTOTPForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and "totp" not in flows.active_methods(user):
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: DisableTOTPForm) -> HttpResponse:
        notify(self.request, messages.SUCCESS, _("Two-step login is off."), "disabled")
        response = HttpResponseRedirect(reverse("twostep:settings"))
        if not flows.has_two_factor(self.request.user):
            state.delete_trusted_browser_cookie(response)
        return response


@protected
class RecoveryCodesView(LoginRequiredMixin, OriginMixin, FormView):
    """How many recovery codes are left; a new set (after confirmation and step-up),
    shown once, downloadable as a text file."""

    template_name = "django_twostep/recovery_codes.html"
    form_class = RegenerateRecoveryCodesForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "done" in request.POST:
            state.forget_fresh_recovery_codes(request)
            return HttpResponseRedirect(requested_next_url(request) or reverse("twostep:settings"))
        response = step_up_response(request, change=True)
        if response is not None:
            return response
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        codes = state.fresh_recovery_codes(request, for_display=True)
        context.update(
            {
                "enabled": flows.has_two_factor(request.user),
                "remaining": flows.recovery_codes_remaining(request.user),
                "codes": codes,
                "downloadable": codes is not None
                or state.fresh_recovery_codes(request) is not None,
                REDIRECT_FIELD_NAME: requested_next_url(request),
            }
        )
        return context

    def form_valid(self, form: RegenerateRecoveryCodesForm) -> HttpResponse:
        try:
            codes = flows.regenerate_recovery_codes(
                self.request.user, verified_at=state.verified_at(self.request), origin=self.origin
            )
        except FlowError as error:
            notify(self.request, messages.ERROR, error.detail, error.code)
            return HttpResponseRedirect(reverse("twostep:settings"))
        state.keep_fresh_recovery_codes(self.request, codes)
        return HttpResponseRedirect(self.request.get_full_path())


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesDownloadView(LoginRequiredMixin, View):
    """The set of recovery codes just generated, as a text file (while it is fresh)."""

    template_name = "django_twostep/recovery_codes.txt"

    def get(self, request: HttpRequest) -> HttpResponse:
        codes = state.fresh_recovery_codes(request)
        if codes is None:
            return HttpResponseRedirect(reverse("twostep:recovery-codes"))
        text = render_to_string(
            self.template_name,
            {"codes": codes, "user": request.user, "site": request.get_host()},
            request=None,
        )
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
        return response


@method_decorator([csrf_protect, never_cache], name="dispatch")
class ForgetTrustedBrowsersView(LoginRequiredMixin, View):
    """Forget every browser the user trusted (POST only)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        trust.forget_browsers(request.user)
        notify(
            request,
            messages.SUCCESS,
            _("Every browser will ask for a code again."),
            "trusted_browsers_forgotten",
        )
        response = HttpResponseRedirect(reverse("twostep:settings"))
        state.delete_trusted_browser_cookie(response)
        return response


@protected
class EmailSetupView(LoginRequiredMixin, CodeFormMixin, FormView):
    """The e-mail method: send a code to the user's address, enter it to turn the
    method on; remove it (after step-up) when on."""

    template_name = "django_twostep/email_setup.html"
    form_class = ConfirmEmailForm

    def use_recovery_field(self) -> bool:
        return False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        # Sending a set-up code, confirming it and removing the method all change
        # the user's second factors: step-up first once they have a method.
        response = step_up_response(request, change=True)
        if response is not None:
            return response
        verified_at = state.verified_at(request)
        here = url_with_next("twostep:email-setup", requested_next_url(request))
        if "send" in request.POST:
            return send_code_and_return(
                request,
                lambda: email_flows.begin_email_setup(
                    user, verified_at=verified_at, origin=self.origin
                ),
                email_flows.user_address(user),
                here,
            )
        if "remove" in request.POST:
            try:
                email_flows.remove_email_method(user, verified_at=verified_at, origin=self.origin)
            except FlowError as error:
                notify(request, messages.ERROR, error.detail, error.code)
            else:
                notify(request, messages.SUCCESS, _("E-mail codes are off."), "disabled")
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        address = email_flows.user_address(user)
        context.update(
            {
                "address": address,
                "enabled": email_flows.has_email_method(user),
                "pending": email_flows.pending_email_setup(user) is not None,
            }
        )
        return context

    def form_valid(self, form: ConfirmEmailForm) -> HttpResponse:
        activation: flows.Activation = form.result
        activated(self.request, activation)
        notify(self.request, messages.SUCCESS, _("E-mail codes are on."), "enabled")
        if activation.recovery_codes:
            return HttpResponseRedirect(
                url_with_next("twostep:recovery-codes", requested_next_url(self.request))
            )
        return HttpResponseRedirect(requested_next_url(self.request) or reverse("twostep:settings"))

    def form_invalid(self, form: ConfirmEmailForm) -> HttpResponse:
        error = form.flow_error
        if error is not None and error.code in ("already_enabled", "not_enrolled"):
            notify(self.request, messages.INFO, error.detail, error.code)
            return HttpResponseRedirect(reverse("twostep:email-setup"))
        return super().form_invalid(form)
