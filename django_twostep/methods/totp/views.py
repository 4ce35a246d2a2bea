"""The authenticator-app pages: set-up (QR code, key, first code) and turning it off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from ... import flows as shared_flows
from ... import qr, state
from ...decorators import step_up_response
from ...redirects import requested_next_url, url_with_next
from ...views.base import CodeFormMixin, MethodMixin, activated, notify, protected
from . import flows
from .forms import ActivateTOTPForm, DisableTOTPForm


@protected
class TOTPSetupView(LoginRequiredMixin, MethodMixin, CodeFormMixin, FormView):
    """Authenticator app set-up: QR code (inline SVG, PNG link), manual key, otpauth
    link; the first code activates it (and verifies this session if it is the
    user's first method)."""

    template_name = "django_twostep/totp_setup.html"
    form_class = ActivateTOTPForm
    method_name = flows.METHOD

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and self.method.is_active(user):
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
        activation = form.result
        activated(self.request, activation)
        notify(self.request, messages.SUCCESS, _("Two-step login is on."), "enabled")
        next_url = requested_next_url(self.request)
        if activation.recovery_codes:  # none without a backup method in TWOSTEP_METHODS
            return HttpResponseRedirect(url_with_next("twostep:recovery-codes", next_url))
        return HttpResponseRedirect(next_url or reverse("twostep:settings"))

    def form_invalid(self, form: ActivateTOTPForm) -> HttpResponse:
        if form.flow_error is not None and form.flow_error.code == "already_enabled":
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().form_invalid(form)


@method_decorator(never_cache, name="dispatch")
class TOTPQRCodeView(LoginRequiredMixin, MethodMixin, View):
    """The pending set-up's QR code as a PNG image (for apps and screens that need one)."""

    method_name = flows.METHOD

    def get(self, request: HttpRequest) -> HttpResponse:
        enrollment = flows.pending_totp(request.user)
        if enrollment is None:
            return HttpResponseRedirect(reverse("twostep:totp-setup"))
        response = HttpResponse(qr.png_bytes(enrollment.uri), content_type="image/png")
        response["Content-Disposition"] = 'inline; filename="two-step-login-qr.png"'
        return response


@protected
class TOTPDisableView(LoginRequiredMixin, MethodMixin, CodeFormMixin, FormView):
    """Turn the authenticator app off with a current code or a recovery code."""

    template_name = "django_twostep/totp_disable.html"
    form_class = DisableTOTPForm
    method_name = flows.METHOD

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not self.method.is_active(user):
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: DisableTOTPForm) -> HttpResponse:
        notify(self.request, messages.SUCCESS, _("Two-step login is off."), "disabled")
        response = HttpResponseRedirect(reverse("twostep:settings"))
        if not shared_flows.has_two_factor(self.request.user):
            state.delete_trusted_browser_cookie(response)
        return response
