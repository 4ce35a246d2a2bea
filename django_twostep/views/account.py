"""The settings page (every method of ``TWOSTEP_METHODS``, trusted browsers, recent
activity), forgetting trusted browsers, and removing a method."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from .. import flows, state
from ..decorators import step_up_response
from ..errors import FlowError
from ..flows import events, trust
from ..methods import Method, all_methods, get_method
from .base import OriginMixin, notify, notify_error, protected

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
    "webauthn_counter_regressed": _(
        "A security key answered like a copy of itself: refused (was it cloned?)"
    ),
}

TRUSTED_BROWSER_LABEL = _("trusted browser")


def method_label(name: str) -> str | Promise:
    """How the activity list names a method (the registry's label; the name if unknown)."""
    if name == trust.TRUSTED_BROWSER_METHOD:
        return TRUSTED_BROWSER_LABEL
    method = get_method(name)
    return method.label if method is not None else name


@protected
class SettingsView(LoginRequiredMixin, TemplateView):
    """Each method's state (a card per method, from its ``settings_card`` template),
    trusted browsers and recent activity."""

    template_name = "django_twostep/settings.html"
    activity_limit = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        two_factor = flows.two_factor_state(user)
        context.update(
            {
                "two_factor": two_factor,
                "methods": [
                    {
                        "method": method,
                        "active": method.name in two_factor.methods,
                        "pending": method.name in two_factor.pending_methods,
                        **method.settings_context(user),
                    }
                    for method in all_methods()
                ],
                "required": flows.must_enroll(user),
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
class MethodRemoveView(LoginRequiredMixin, OriginMixin, TemplateView):
    """Remove one method (``twostep:method-remove``): a confirmation page, after step-up.

    The shared removal page of any method of ``TWOSTEP_METHODS`` (a method may
    have its own instead: ``removal_url_name``). Removing the last method takes
    the recovery codes and the trusted browsers with it.
    """

    template_name = "django_twostep/method/remove.html"

    @cached_property
    def method(self) -> Method:
        method = get_method(self.kwargs["name"])
        if method is None or method.backup:
            raise Http404()
        return method

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # to the login page
        self.method  # noqa: B018 (404 for a method not configured)
        # Removing a method changes the user's second factors: step-up first.
        return step_up_response(request, change=True) or super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.method.removable(request.user):
            return HttpResponseRedirect(reverse("twostep:settings"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["method"] = self.method
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            flows.remove_method(
                request.user,
                self.method.name,
                verified_at=state.verified_at(request),
                origin=self.origin,
            )
        except FlowError as error:
            notify_error(request, error)
            return HttpResponseRedirect(reverse("twostep:settings"))
        message = _("The %(method)s was removed.") % {"method": self.method.label}
        notify(request, messages.SUCCESS, message, "disabled")
        response = HttpResponseRedirect(reverse("twostep:settings"))
        if not flows.has_two_factor(request.user):
            state.delete_trusted_browser_cookie(response)
        return response
