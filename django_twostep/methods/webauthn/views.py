"""The security keys' pages: the list of keys (add, rename, remove), and what the
page script (``django_twostep/webauthn.js``) asks for to run a ceremony.

The ceremonies run in the browser: the script POSTs to an options endpoint
here (JSON, CSRF-protected), hands the options to ``navigator.credentials``, and
posts the browser's answer (``credential.toJSON()``) in a hidden field of an
ordinary form: the add form of the list, page 2's code form, the step-up form,
or page 1's passkey form. A GET never writes anything: page 1 and page 2 stay
free of queries.

The options endpoints answer ``{"publicKey": ...}`` (and ``passkey_id`` for a
passkey login), or ``{"error": code, "detail": text}`` with the error's status,
plus ``"location"`` when the browser should go elsewhere (step-up first, or back
to page 1).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from ... import flows as shared_flows
from ... import state
from ...decorators import step_up_response
from ...errors import FlowError
from ...forms import read_credential
from ...http import site_from_request
from ...models import WebAuthnCredential
from ...redirects import REDIRECT_FIELD_NAME, requested_next_url, url_with_next
from ...views.base import (
    MethodMixin,
    OriginMixin,
    activated,
    after_login_url,
    busy_response,
    complete_login,
    notify,
    notify_error,
    protected,
    protected_button,
)
from ...views.login import passkey_login_offered
from . import flows
from .forms import AddKeyForm, RenameKeyForm


def error_response(error: FlowError, *, location: str = "") -> JsonResponse:
    """An options endpoint's refusal: the error's code, its text (in the request's
    language) and status; ``location`` where the browser should go instead."""
    body: dict[str, Any] = {"error": error.code, "detail": str(error.detail)}
    if location:
        body["location"] = location
    response = JsonResponse(body, status=error.status)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def go_to(location: str, status: int = 401) -> JsonResponse:
    """Tell the page script to load ``location`` (nothing to ask the key for here)."""
    return JsonResponse({"error": "redirect", "location": location}, status=status)


class WebAuthnMixin(MethodMixin, OriginMixin):
    """A page of the security-key method (404 when it is not in ``TWOSTEP_METHODS``)."""

    method_name = flows.METHOD

    @cached_property
    def relying_party(self) -> flows.RelyingParty:
        return flows.relying_party(site_from_request(self.request))


# -- the list of keys -----------------------------------------------------------------


def keys_url() -> str:
    return reverse("twostep:webauthn")


@protected
class KeysView(LoginRequiredMixin, WebAuthnMixin, FormView):
    """``twostep:webauthn``: the user's keys (name, added, last used, passkey or not),
    a form to add one and, per key, a form to rename it and a link to remove it.

    Adding a key changes the user's second factors: a user who has a method
    steps up first (the add form is then a link to ``twostep:verify``). The
    first key turns two-step login on and makes recovery codes, shown next.
    """

    template_name = "django_twostep/webauthn/keys.html"
    form_class = AddKeyForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            user=self.request.user,
            rp=self.relying_party,
            verified_at=state.verified_at(self.request),
            origin=self.origin,
        )
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        step_up = step_up_response(self.request, change=True)
        context.update(
            {
                "method": self.method,
                "credentials": flows.credentials_of(self.request.user),
                "max_name_length": flows.MAX_NAME_LENGTH,
                # Where to confirm it is you before a key can be added (None: now).
                "step_up_url": step_up["Location"] if step_up is not None else None,
                REDIRECT_FIELD_NAME: requested_next_url(self.request),
            }
        )
        return context

    def form_valid(self, form: AddKeyForm) -> HttpResponse:
        assert form.result is not None
        credential, activation = form.result
        activated(self.request, activation)
        message = _("The key “%(name)s” was added.") % {"name": credential.name}
        notify(self.request, messages.SUCCESS, message, "enabled")
        next_url = requested_next_url(self.request)
        if activation.recovery_codes:  # the first method: its recovery codes, shown once
            return HttpResponseRedirect(
                url_with_next("twostep:recovery-codes", next_url or keys_url())
            )
        return HttpResponseRedirect(next_url or keys_url())

    def form_invalid(self, form: AddKeyForm) -> HttpResponse:
        error = form.flow_error
        if error is not None and error.code == "mfa_code_missing":
            # The step-up grace ran out while the page was open: step up, come back.
            return HttpResponseRedirect(url_with_next("twostep:verify", keys_url()))
        return super().form_invalid(form)


@protected_button
class RegistrationOptionsView(WebAuthnMixin, View):
    """``twostep:webauthn-options`` (POST): the creation options of a new key, or where
    to step up first."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return go_to(redirect_to_login(keys_url())["Location"])
        try:
            options = flows.begin_registration(
                request.user, self.relying_party, verified_at=state.verified_at(request)
            )
        except FlowError as error:
            location = ""
            if error.code == "mfa_code_missing":
                location = url_with_next("twostep:verify", keys_url())
            return error_response(error, location=location)
        return JsonResponse({"publicKey": options})


def own_credential(user: AbstractBaseUser, pk: int) -> WebAuthnCredential:
    """One of ``user``'s keys (404 for anyone else's, as for none at all)."""
    credential = next((c for c in flows.credentials_of(user) if c.pk == pk), None)
    if credential is None:
        raise Http404()
    return credential


@protected_button
class RenameView(LoginRequiredMixin, WebAuthnMixin, View):
    """``twostep:webauthn-rename`` (POST): give a key another name (no step-up: the
    factors stay the same)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        credential = own_credential(request.user, pk)
        form = RenameKeyForm(request.POST)
        if not form.is_valid():
            message = _("Give the key a name of at most %(length)d characters.") % {
                "length": flows.MAX_NAME_LENGTH
            }
            notify(request, messages.ERROR, message, "validation_error")
            return HttpResponseRedirect(keys_url())
        try:
            flows.rename_credential(request.user, credential.pk, form.cleaned_data["name"])
        except FlowError as error:
            if error.code == "not_found":
                raise Http404() from None
            notify_error(request, error)
            return HttpResponseRedirect(keys_url())
        message = _("The key is now called “%(name)s”.") % {"name": form.cleaned_data["name"]}
        notify(request, messages.SUCCESS, message, "renamed")
        return HttpResponseRedirect(keys_url())


@protected
class RemoveView(LoginRequiredMixin, WebAuthnMixin, TemplateView):
    """``twostep:webauthn-remove``: a confirmation page, after step-up; the last key
    turns the method off (and with the user's last method, the recovery codes and
    trusted browsers go too)."""

    template_name = "django_twostep/webauthn/remove.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # to the login page
        self.method  # noqa: B018 (404 for a method not configured)
        # Removing a key changes the user's second factors: step-up first.
        return step_up_response(request, change=True) or super().dispatch(request, *args, **kwargs)

    @cached_property
    def credential(self) -> WebAuthnCredential:
        return own_credential(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update({"method": self.method, "credential": self.credential})
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        credential = self.credential
        try:
            flows.remove_credential(
                request.user,
                credential.pk,
                verified_at=state.verified_at(request),
                origin=self.origin,
            )
        except FlowError as error:
            if error.code == "mfa_code_missing":
                return HttpResponseRedirect(url_with_next("twostep:verify", request.path))
            notify_error(request, error)
            return HttpResponseRedirect(keys_url())
        message = _("The key “%(name)s” was removed.") % {"name": credential.name}
        notify(request, messages.SUCCESS, message, "disabled")
        response = HttpResponseRedirect(keys_url())
        if not shared_flows.has_two_factor(request.user):
            state.delete_trusted_browser_cookie(response)
        return response


# -- page 2 and step-up: a key as the second factor ----------------------------------------


@protected_button
class LoginOptionsView(WebAuthnMixin, View):
    """``twostep:login-code-webauthn`` (POST): options for page 2's ceremony, bound to
    this browser's pending login. A login that is over sends the browser back to
    page 1, saying why (so a page 2 that starts its ceremony by itself cannot loop)."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = state.pending_login(request)
        if pending is None:
            return go_to(reverse("twostep:login"))
        try:
            options = shared_flows.begin_login_ceremony(
                pending.challenge_id, self.method.name, site_from_request(request)
            )
        except FlowError as error:
            if error.code != "two_factor_expired":
                return error_response(error)
            state.clear_pending_login(request)
            state.set_login_notice(request, error.code)
            return go_to(url_with_next("twostep:login", pending.next_url))
        return JsonResponse(options)


@protected_button
class StepUpOptionsView(WebAuthnMixin, View):
    """``twostep:verify-webauthn`` (POST): options for the step-up page's ceremony."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return go_to(redirect_to_login(reverse("twostep:verify"))["Location"])
        try:
            options = shared_flows.begin_step_up_ceremony(
                request.user, self.method.name, site_from_request(request)
            )
        except FlowError as error:
            return error_response(error)
        return JsonResponse(options)


# -- page 1: a passkey alone ---------------------------------------------------------------

# Why page 1 shows again after a passkey login failed (views.login.LOGIN_NOTICES).
PASSKEY_NOTICES = {"too_many_attempts": "passkey_throttled"}


class PasskeyMixin(WebAuthnMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not passkey_login_offered():
            if request.method == "POST" and self.answers_json:
                return error_response(FlowError("passkey_login_disabled"))
            raise PermissionDenied("passkey login is turned off")
        return super().dispatch(request, *args, **kwargs)

    answers_json = False


@protected_button
class PasskeyOptionsView(PasskeyMixin, View):
    """``twostep:login-passkey-options`` (POST): options for a login with a passkey
    alone, and the ``passkey_id`` the passkey form sends back with the answer."""

    http_method_names = ["post", "options"]
    answers_json = True

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            options, passkey_id = flows.begin_passkey_login(self.relying_party)
        except FlowError as error:
            return error_response(error)
        return JsonResponse({"publicKey": options, "passkey_id": passkey_id})


@protected_button
class PasskeyLoginView(PasskeyMixin, View):
    """``twostep:login-passkey`` (POST): page 1's passkey form. A passkey with user
    verification logs in verified (two factors at once) and goes to ``next``;
    anything else goes back to page 1 with a notice."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        next_url = requested_next_url(request)
        try:
            result = flows.complete_passkey_login(
                request.POST.get("passkey_id"),
                read_answer(request.POST.get("credential")),
                self.relying_party,
                origin=self.origin,
            )
        except FlowError as error:
            if error.code == "temporarily_unavailable":
                return busy_response(request)
            if error.code == "passkey_login_disabled":
                raise PermissionDenied("passkey login is turned off") from None
            state.set_login_notice(request, PASSKEY_NOTICES.get(error.code, "passkey_refused"))
            return HttpResponseRedirect(url_with_next("twostep:login", next_url))
        user = result.user
        state.clear_pending_login(request)
        complete_login(request, user, result.verification, backend=login_backend(user))
        return HttpResponseRedirect(after_login_url(user, next_url))


def read_answer(raw: object) -> Any:
    return read_credential(raw) if isinstance(raw, str) and raw else None


def login_backend(user: AbstractBaseUser) -> str:
    """The authentication backend a passkey login is recorded with: the one that found
    the user if any, else the first of ``AUTHENTICATION_BACKENDS``."""
    return getattr(user, "backend", None) or settings.AUTHENTICATION_BACKENDS[0]
