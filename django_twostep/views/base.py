"""What every page shares: the decorators, busy answers, messages, code forms,
completing a login and an activation, and where a user goes next.

Business rules are in :mod:`django_twostep.flows`; session state goes through
:mod:`django_twostep.state`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import OperationalError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.functional import Promise, cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from .. import flows, state
from ..debug import hides_secrets_from_error_reports
from ..errors import BUSY_RETRY_AFTER, FlowError, database_busy
from ..flows.codes import Verification
from ..flows.events import Origin
from ..http import origin_from_request
from ..methods import Method, get_method
from ..redirects import (
    REDIRECT_FIELD_NAME,
    enrollment_url_name,
    requested_next_url,
    url_with_next,
)

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
"""Every page that takes a password or a code: CSRF, no-store, hidden from error
reports, and a busy database answered with a 503 page."""

# For POST-only buttons: CSRF, no-store, hidden from error reports, busy answered.
protected_button = method_decorator(
    [hides_secrets_from_error_reports, csrf_protect, never_cache, answers_busy_database],
    name="dispatch",
)


# -- where a user goes --------------------------------------------------------------


def default_redirect_url() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def after_login_url(user: AbstractBaseUser, next_url: str) -> str:
    """Where a user goes once logged in: set-up first if the policy makes them enrol."""
    if flows.must_enroll(user):
        return url_with_next(enrollment_url_name(), next_url)
    return next_url or default_redirect_url()


# -- completing a login, an activation -------------------------------------------------


def complete_login(
    request: HttpRequest,
    user: AbstractBaseUser,
    verification: Verification | None,
    *,
    backend: str | None,
    fresh_code: bool = True,
) -> None:
    """Log ``user`` in (new session key) and mark the session verified by ``verification``.

    ``verification`` None: the user has no method (a password login).
    ``fresh_code`` is False for a trusted browser: the session is verified for
    django-otp (``user.is_verified()``), but step-up still asks for a code.
    """
    auth.login(request, user, backend=backend or None)
    if verification is None:
        return
    otp_login(request, verification.device)
    if fresh_code:
        state.mark_verified(request)


def activated(request: HttpRequest, activation: flows.Activation) -> None:
    """After a method was activated in this session: only the user's first method
    verifies the session (the flow says which); new recovery codes are kept to be
    shown once."""
    if activation.verifies:
        otp_login(request, activation.device)
        state.mark_verified(request)
    if activation.recovery_codes:
        state.keep_fresh_recovery_codes(
            request, activation.recovery_codes, expires_in=flows.FRESH_CODES_SHOWN_FOR
        )


def notify(request: HttpRequest, level: int, message: str | Promise, code: str) -> None:
    """A flash message tagged ``twostep-<code>`` (silently dropped without the messages app)."""
    messages.add_message(request, level, message, extra_tags=f"twostep-{code}", fail_silently=True)


def notify_error(request: HttpRequest, error: FlowError) -> None:
    notify(request, messages.ERROR, error.detail, error.code)


# -- mixins --------------------------------------------------------------------------------


class OriginMixin:
    request: HttpRequest

    @cached_property
    def origin(self) -> Origin:
        return origin_from_request(self.request)


class MethodMixin:
    """For a method's own pages: ``method_name`` must be in ``TWOSTEP_METHODS`` (else 404)."""

    method_name: str

    @cached_property
    def method(self) -> Method:
        method = get_method(self.method_name)
        if method is None:
            raise Http404()
        return method

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.method  # noqa: B018 (404 for a method not configured)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class CodeFormMixin(OriginMixin):
    """For views with a :class:`~django_twostep.forms.CodeForm`: throttled answers are 429."""

    request: HttpRequest

    def use_recovery_field(self) -> bool:
        return self.request.GET.get("method") == "recovery"

    def get_methods(self) -> list[str]:
        """The methods whose codes this page's field takes (for its help text)."""
        user = self.request.user
        return flows.active_methods(user) if user.is_authenticated else []

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()  # type: ignore[misc]
        kwargs.update(
            origin=self.origin, recovery=self.use_recovery_field(), methods=self.get_methods()
        )
        if self.request.user.is_authenticated:
            kwargs["user"] = self.request.user
            kwargs["verified_at"] = state.verified_at(self.request)
        return kwargs

    def form_invalid(self, form: Any) -> HttpResponse:
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
