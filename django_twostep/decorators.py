"""Step-up for sensitive views: ask for a fresh code when the last one is too old.

Protect a function view with :func:`step_up_required` and a class-based view
with :class:`StepUpRequiredMixin`. A logged-in user who passed a second factor
in this session less than ``TWOSTEP_STEP_UP_GRACE`` seconds ago goes through;
otherwise they are sent to ``twostep:verify`` and come back to the same URL
after a right code. A user without a method goes through (there is nothing to
step up to) unless ``TWOSTEP_REQUIRED`` covers them: they are sent to set-up.
Anonymous users are sent to ``settings.LOGIN_URL``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from . import state
from .flows.policy import StepUp, step_up_status
from .redirects import enrollment_url_name, url_with_next

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def step_up_response(request: HttpRequest, *, change: bool = False) -> HttpResponse | None:
    """The redirect a request for a sensitive view needs, or None to let it through.

    ``change``: the request changes the user's second factors
    (:func:`~django_twostep.flows.policy.authorize_method_change`): a user
    without a method goes through even when the policy covers them.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    status = step_up_status(user, state.verified_at(request), change=change)
    if status in (StepUp.FRESH, StepUp.NOTHING_TO_STEP_UP_TO):
        return None
    target = enrollment_url_name() if status is StepUp.NOT_ENROLLED else "twostep:verify"
    return HttpResponseRedirect(url_with_next(target, request.get_full_path()))


def step_up_required(view: ViewFunc) -> ViewFunc:
    """Decorate a view that needs a second factor verified within the grace period.

    ::

        @step_up_required
        def change_email(request): ...
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = step_up_response(request)
        if response is not None:
            return response
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class StepUpRequiredMixin:
    """Class-based counterpart of :func:`step_up_required`; put it first in the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = step_up_response(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
