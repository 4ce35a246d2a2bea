"""The e-mail method's pages: its set-up (send, confirm, remove) and the "E-mail me a
code" buttons of page 2 and the step-up page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView

from ... import flows as shared_flows
from ... import state
from ...decorators import step_up_response
from ...errors import FlowError
from ...redirects import requested_next_url, url_with_next
from ...views.base import (
    CodeFormMixin,
    MethodMixin,
    OriginMixin,
    activated,
    notify,
    notify_error,
    protected,
    protected_button,
)
from . import flows
from .forms import ConfirmEmailForm


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
        minutes = flows.code_lifetime_minutes()
        message = ngettext(
            "We sent a code to %(address)s. It works for %(minutes)d minute.",
            "We sent a code to %(address)s. It works for %(minutes)d minutes.",
            minutes,
        ) % {"address": flows.masked_address(address), "minutes": minutes}
        notify(request, messages.SUCCESS, message, "email_code_sent")
    return HttpResponseRedirect(back_to)


@protected_button
class LoginEmailCodeView(MethodMixin, OriginMixin, View):
    """Page 2's "E-mail me a code" button (POST): sends a code for the pending login."""

    http_method_names = ["post", "options"]
    method_name = flows.METHOD

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = state.pending_login(request)
        if pending is None:
            return HttpResponseRedirect(reverse("twostep:login"))
        try:
            user = shared_flows.live_challenge(pending.challenge_id).user
        except FlowError:
            return HttpResponseRedirect(reverse("twostep:login-code"))  # page 2 starts again
        return send_code_and_return(
            request,
            lambda: flows.send_login_code(pending.challenge_id, origin=self.origin),
            flows.user_address(user),
            reverse("twostep:login-code"),
        )


@protected_button
class VerifyEmailCodeView(LoginRequiredMixin, MethodMixin, OriginMixin, View):
    """The step-up page's "E-mail me a code" button (POST)."""

    http_method_names = ["post", "options"]
    method_name = flows.METHOD

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        return send_code_and_return(
            request,
            lambda: flows.send_step_up_code(user, origin=self.origin),
            flows.user_address(user),
            url_with_next("twostep:verify", requested_next_url(request)),
        )


@protected
class EmailSetupView(LoginRequiredMixin, MethodMixin, CodeFormMixin, FormView):
    """The e-mail method: send a code to the user's address, enter it to turn the
    method on; remove it (after step-up) when on."""

    template_name = "django_twostep/email_setup.html"
    form_class = ConfirmEmailForm
    method_name = flows.METHOD

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
                lambda: flows.begin_email_setup(user, verified_at=verified_at, origin=self.origin),
                flows.user_address(user),
                here,
            )
        if "remove" in request.POST:
            try:
                flows.remove_email_method(user, verified_at=verified_at, origin=self.origin)
            except FlowError as error:
                notify_error(request, error)
            else:
                notify(request, messages.SUCCESS, _("E-mail codes are off."), "disabled")
            response = HttpResponseRedirect(reverse("twostep:settings"))
            if not shared_flows.has_two_factor(user):
                state.delete_trusted_browser_cookie(response)
            return response
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            {
                "address": flows.user_address(user),
                "enabled": self.method.is_active(user),
                "pending": self.method.is_pending(user),
            }
        )
        return context

    def form_valid(self, form: ConfirmEmailForm) -> HttpResponse:
        activation: shared_flows.Activation = form.result
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
