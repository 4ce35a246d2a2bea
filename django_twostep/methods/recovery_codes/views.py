"""The recovery-codes pages: how many are left, a new set (shown once), the download."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from ... import flows as shared_flows
from ... import state
from ...decorators import step_up_response
from ...errors import FlowError
from ...redirects import REDIRECT_FIELD_NAME, enrollment_url_name, requested_next_url
from ...views.base import MethodMixin, OriginMixin, notify_error, protected
from . import flows
from .forms import RegenerateRecoveryCodesForm


@protected
class RecoveryCodesView(LoginRequiredMixin, MethodMixin, OriginMixin, FormView):
    """How many recovery codes are left; a new set (after confirmation and step-up),
    shown once, downloadable as a text file."""

    template_name = "django_twostep/recovery_codes.html"
    form_class = RegenerateRecoveryCodesForm
    method_name = flows.METHOD

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
                "enabled": shared_flows.has_two_factor(request.user),
                "remaining": flows.recovery_codes_remaining(request.user),
                "codes": codes,
                "downloadable": codes is not None
                or state.fresh_recovery_codes(request) is not None,
                REDIRECT_FIELD_NAME: requested_next_url(request),
                "setup_url": reverse(enrollment_url_name()),
            }
        )
        return context

    def form_valid(self, form: RegenerateRecoveryCodesForm) -> HttpResponse:
        try:
            codes = flows.regenerate_recovery_codes(
                self.request.user, verified_at=state.verified_at(self.request), origin=self.origin
            )
        except FlowError as error:
            notify_error(self.request, error)
            return HttpResponseRedirect(reverse("twostep:settings"))
        state.keep_fresh_recovery_codes(
            self.request, codes, expires_in=shared_flows.FRESH_CODES_SHOWN_FOR
        )
        return HttpResponseRedirect(self.request.get_full_path())


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesDownloadView(LoginRequiredMixin, MethodMixin, View):
    """The set of recovery codes just generated, as a text file (while it is fresh)."""

    template_name = "django_twostep/recovery_codes.txt"
    method_name = flows.METHOD

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
