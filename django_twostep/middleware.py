"""``TwoStepMiddleware``: the ``TWOSTEP_REQUIRED`` policy and a verified-only admin.

Install it after ``django_otp.middleware.OTPMiddleware``::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django_twostep.middleware.TwoStepMiddleware",
        ...,
    ]

- A logged-in user whom ``TWOSTEP_REQUIRED`` covers and who has no method yet
  reaches only this app's own pages (settings, set-up, recovery codes, logout,
  ...); every other page redirects to ``twostep:totp-setup``.
- The Django admin (any URL of an ``admin`` application namespace) is served
  only to verified sessions (``user.is_verified()``): the admin's login page
  sends people to ``twostep:login``, and a staff member whose session is not
  verified is sent to ``twostep:verify`` (or to set-up, without a method).

An anonymous request costs no query here (nothing is looked up until a
session says someone is logged in).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, ResolverMatch, reverse

from .flows.methods import has_two_factor
from .flows.policy import is_required
from .redirects import safe_next_url, url_with_next


def is_verified(user: AbstractBaseUser) -> bool:
    """django-otp's verdict on this session (False without ``OTPMiddleware``)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


class TwoStepMiddleware:
    """Enforce ``TWOSTEP_REQUIRED`` and keep the admin for verified sessions.

    Class attributes to change in a subclass: ``protect_admin``,
    ``admin_app_name``, ``exempt_app_names`` (URL application namespaces
    never redirected: the app's pages and its API).
    """

    protect_admin = True
    admin_app_name = "admin"
    exempt_app_names = frozenset({"twostep", "twostep-api"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        match = request.resolver_match
        app_names = set(match.app_names) if match is not None else set()
        if app_names & self.exempt_app_names:
            return None
        if self.protect_admin and match is not None and self.admin_app_name in app_names:
            return self.guard_admin(request, match)
        user = request.user
        if user.is_authenticated and self.must_enroll(user):
            return HttpResponseRedirect(url_with_next("twostep:totp-setup", self.here(request)))
        return None

    def must_enroll(self, user: AbstractBaseUser) -> bool:
        """A user the policy covers and who has no method (one query at most)."""
        if not is_required(user):
            return False
        if is_verified(user):  # a verified session proves a method
            return False
        return not has_two_factor(user)

    def guard_admin(self, request: HttpRequest, match: ResolverMatch) -> HttpResponse | None:
        """Let verified sessions in; send everyone else through the two-step pages."""
        if match.url_name == "logout":
            return None
        user = request.user
        if user.is_authenticated and is_verified(user):
            return None
        if user.is_authenticated and user.is_staff:
            target = "twostep:verify" if has_two_factor(user) else "twostep:totp-setup"
            return HttpResponseRedirect(url_with_next(target, self.here(request)))
        if match.url_name == "login":
            next_url = safe_next_url(request, request.GET.get("next"))
            if not next_url:
                try:
                    next_url = reverse(f"{match.namespace}:index")
                except NoReverseMatch:
                    next_url = ""
            return HttpResponseRedirect(url_with_next("twostep:login", next_url))
        # Other admin pages send anonymous visitors to the admin login page, which
        # comes back here; non-staff users are refused by the admin itself.
        return None

    @staticmethod
    def here(request: HttpRequest) -> str:
        """The URL to come back to afterwards (only for GET: a POST cannot be replayed)."""
        return request.get_full_path() if request.method == "GET" else ""
