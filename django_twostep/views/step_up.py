"""Step-up: re-enter a second factor to reach a sensitive page (``twostep:verify``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import FormView
from django_otp import login as otp_login

from .. import flows, state
from ..forms import StepUpForm
from ..http import site_from_request
from ..redirects import requested_next_url, url_with_next
from .base import CodeFormMixin, after_login_url, protected
from .offers import ceremonies_of, codes_of, method_offers, other_ways, shows_code_field


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

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["site"] = site_from_request(self.request)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        methods = self.get_methods()
        recovery = self.use_recovery_field()
        here = url_with_next("twostep:verify", requested_next_url(self.request))
        offered = method_offers(methods, False)
        context.update(
            {
                "methods": methods,
                # A security key's button above the code field (not when the
                # recovery-code field was asked for); the code methods' lines and
                # buttons around the field.
                "ceremonies": [] if recovery else ceremonies_of(offered),
                "offers": codes_of(offered),
                "code_field": shows_code_field(offered, recovery),
                "other_methods": other_ways(methods, recovery, here),
            }
        )
        return context

    def form_valid(self, form: StepUpForm) -> HttpResponse:
        verification: flows.Verification = form.result
        otp_login(self.request, verification.device)
        state.mark_verified(self.request)
        return HttpResponseRedirect(requested_next_url(self.request) or reverse("twostep:settings"))
