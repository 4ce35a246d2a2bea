"""``TwoStepMiddleware``: django-otp's verification, lazily; the ``TWOSTEP_REQUIRED``
policy; a verified-only admin.

Install it right after Django's ``AuthenticationMiddleware``::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_twostep.middleware.TwoStepMiddleware",
        ...,
    ]

- It does the job of django-otp's ``OTPMiddleware``: ``request.user.otp_device``
  (the device that verified this session, or None) and
  ``request.user.is_verified()``. Unlike ``OTPMiddleware``, it costs no query of
  its own: the query that loads the user (for Django's ``ModelBackend``) also
  tells whether the session's device is still the user's and confirmed, so
  ``is_verified()`` answers from it, and the device itself is read only when
  ``otp_device`` is used. Keeping ``OTPMiddleware`` as well is harmless (it then
  reads the device on every request, as it always did).
- A logged-in user whom ``TWOSTEP_REQUIRED`` covers and who has no method yet
  reaches only this app's own pages (settings, set-up, recovery codes, logout,
  ...); every other page redirects to the set-up page of the first method of
  ``TWOSTEP_METHODS`` (``twostep:totp-setup`` by default).
- The Django admin (any URL of an ``admin`` application namespace) is served
  only to verified sessions (``user.is_verified()``): the admin's login page
  sends people to ``twostep:login``, and a staff member whose session is not
  verified is sent to ``twostep:verify`` (or to set-up, without a method).

An anonymous request costs no query here, and does not even load
``request.user`` (Django's lazy user is left alone while the session names
nobody), so it costs next to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.apps import apps
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, ResolverMatch, reverse
from django.utils.functional import LazyObject, SimpleLazyObject, empty
from django_otp.models import Device

from . import state
from .flows.methods import has_two_factor
from .flows.policy import must_enroll
from .methods.registry import all_methods
from .prepared import Prepared
from .redirects import enrollment_url_name, safe_next_url, url_with_next


def is_verified(user: AbstractBaseUser) -> bool:
    """django-otp's verdict on this session (False without either middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


# -- django-otp's attributes, read lazily ---------------------------------------------------


def _session_device(request: HttpRequest, user: Any) -> Device | None:
    """The device this session was verified with, if it is still the user's and confirmed.

    The same rule as django-otp's ``OTPMiddleware``; a stale reference is dropped
    from the session.
    """
    if not user.is_authenticated:
        return None
    persistent_id = state.verified_device_id(request)
    if _verdict(request, user) is False:
        device = None  # the query that loaded the user found it gone: no need to look
    else:
        device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is not None and (device.user_id != user.pk or not device.confirmed):
        device = None
    if device is None:
        state.forget_verified_device(request)
    return device


def _otp_device(request: HttpRequest, user: Any) -> Device | None:
    if "otp_device" not in vars(user):  # set by django_otp.login() or an earlier read
        user.otp_device = _session_device(request, user)
    return user.otp_device


class _IsVerified:
    """``user.is_verified()``: reads this request's device on the first call, unless the
    query that loaded the user already told whether it still verifies the session."""

    def __init__(self, request: HttpRequest, user: Any) -> None:
        self.request = request
        self.user = user

    def __call__(self) -> bool:
        known = _verdict(self.request, self.user)
        if known is True and "otp_device" not in vars(self.user):
            return True
        return _otp_device(self.request, self.user) is not None

    def __reduce__(self) -> tuple[Any, tuple[bool]]:
        # A pickled user (a cache, a task queue) keeps the verdict, not the request.
        return _Verdict, (self(),)


class _Verdict:
    def __init__(self, verified: bool) -> None:
        self.verified = verified

    def __call__(self) -> bool:
        return self.verified


# -- the user and the session's device in one query ----------------------------------------

# The annotation of _load_user()'s query: whether the session's device (the one
# django_otp.login() recorded) is still the user's and confirmed. Kept on the
# request, with the user object it was read for, never on the user: a backend may
# hand the same user object to another request, and a user may be pickled.
_VERIFIED = "_twostep_session_device_verifies"
# Integers a database column can hold: larger ones in a session find nothing.
_BIGINT = range(-(2**63), 2**63)


def _verdict(request: HttpRequest, user: Any) -> bool | None:
    """What _load_user() read of this request's device for ``user``, or None."""
    found = request.__dict__.get(_VERIFIED)
    return found[1] if found is not None and found[0] is user else None


def _device_reference(persistent_id: str) -> tuple[type[Device], int] | None:
    """The device model (one of the methods') and primary key that django-otp's
    persistent id names, or None."""
    try:
        label, pk = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
        key = int(pk)
    except (ValueError, LookupError):
        return None
    if key not in _BIGINT or not any(model is method.device_model for method in all_methods()):
        return None
    return model, key


def _user_query(
    shape: tuple[type[Device], type[Any]], user_id: Any, device_pk: int
) -> QuerySet[Any]:
    device_model, _user_model = shape
    verifies = device_model.objects.filter(pk=device_pk, user_id=OuterRef("pk"), confirmed=True)
    users = get_user_model()._default_manager.annotate(**{_VERIFIED: Exists(verifies)})
    return users.filter(pk=user_id)[:1]


_user_with_device = Prepared(get_user_model, _user_query)


def _load_user(request: HttpRequest) -> Any:
    """What Django's ``auth.get_user(request)`` answers, and for a session verified
    with a method's device, whether that device still verifies it, from the same
    query: ``is_verified()`` then costs nothing more.

    Only for Django's ``ModelBackend`` (or a subclass that keeps its
    ``get_user``); anything else is Django's own ``get_user``.
    """
    found = state.session_login(request)
    persistent_id = state.verified_device_id(request)
    reference = _device_reference(persistent_id) if persistent_id else None
    if found is None or reference is None:
        return auth.get_user(request)
    user_id, backend_path = found
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    if isinstance(user_id, int) and user_id not in _BIGINT:
        return auth.get_user(request)  # no such user; as Django says it
    backend = auth.load_backend(backend_path)
    if not isinstance(backend, ModelBackend) or type(backend).get_user is not ModelBackend.get_user:
        return auth.get_user(request)
    # ModelBackend.get_user(), with the device's verdict annotated on the user.
    user = _user_with_device.first((reference[0], get_user_model()), user_id, reference[1])
    if user is not None:
        request.__dict__[_VERIFIED] = (user, vars(user).pop(_VERIFIED))
        if not backend.user_can_authenticate(user):
            user = None
    # Then django.contrib.auth.get_user()'s check of the session against the password.
    if (
        user is not None
        and hasattr(user, "get_session_auth_hash")
        and not state.session_hash_verifies(request, user)
    ):
        user = None
    return user or AnonymousUser()


def _lazy_state(lazy: Any, kind: type) -> dict[str, Any] | None:
    """The attributes of ``lazy`` if it is exactly a ``kind`` not loaded yet. Read past
    LazyObject's ``__getattribute__`` (this runs on every request)."""
    if type(lazy) is not kind:
        return None
    attributes = object.__getattribute__(lazy, "__dict__")
    return attributes if attributes.get("_wrapped") is empty else None


def _djangos_lazy_user(user: Any) -> SimpleLazyObject | None:
    """``user`` if it is still the lazy user of Django's ``AuthenticationMiddleware``,
    not loaded yet (it loads ``request._cached_user`` when that is set)."""
    attributes = _lazy_state(user, SimpleLazyObject)
    if attributes is None:
        return None
    setup = attributes.get("_setupfunc")
    if getattr(setup, "__module__", None) != "django.contrib.auth.middleware":
        return None
    return user


def _loaded(request: HttpRequest, user: Any) -> Any:
    """The user behind ``user``: Django's lazy user is loaded by :func:`_load_user`."""
    if _djangos_lazy_user(user) is not None and not hasattr(request, "_cached_user"):
        request._cached_user = _load_user(request)
    return _unwrap(user)


def _with_is_verified(request: HttpRequest, user: Any) -> Any:
    """Give ``user`` this request's ``is_verified()``, forgetting any device an earlier
    request left on the same object (an authentication backend may reuse users)."""
    vars(user).pop("otp_device", None)
    vars(user).pop(_VERIFIED, None)
    user.is_verified = _IsVerified(request, user)
    return user


def _names_nobody(request: HttpRequest) -> bool:
    """Whether ``request.user`` is surely anonymous, told without loading it: it is
    still the lazy user of Django's ``AuthenticationMiddleware``, and the request
    has no session (so Django's ``get_user()`` would answer ``AnonymousUser``). A
    user set any other way, or a session, is loaded and asked."""
    attributes = _lazy_state(getattr(request, "user", None), LazyOTPUser)
    if attributes is None or _djangos_lazy_user(attributes["_user"]) is None:
        return False
    if hasattr(request, "_cached_user"):  # what Django's lazy user will answer
        return False
    return state.has_no_session(request)


def _unwrap(user: Any) -> Any:
    """The user object behind the lazy wrappers of earlier middleware (evaluated)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class LazyOTPUser(SimpleLazyObject):
    """``request.user`` whose ``otp_device`` is read from the database on first use."""

    def __init__(self, request: HttpRequest, user: Any) -> None:
        # What SimpleLazyObject.__init__ sets, written at once: one of these is made
        # for every request, logged in or not.
        attributes = object.__getattribute__(self, "__dict__")
        attributes.update(_setupfunc=self._load, _wrapped=empty, _request=request, _user=user)

    def _load(self) -> Any:
        request = self.__dict__["_request"]
        return _with_is_verified(request, _loaded(request, self.__dict__["_user"]))

    def __getattr__(self, name: str) -> Any:
        if name == "otp_device":
            if self._wrapped is empty:
                self._setup()
            return _otp_device(self.__dict__["_request"], self._wrapped)
        return super().__getattr__(name)


class TwoStepMiddleware:
    """Give ``request.user`` django-otp's attributes (lazily), enforce
    ``TWOSTEP_REQUIRED`` and keep the admin for verified sessions.

    Class attributes to change in a subclass: ``protect_admin``,
    ``admin_app_name``, ``exempt_app_names`` (URL application namespaces
    never redirected: the app's pages and its API).
    """

    protect_admin = True
    admin_app_name = "admin"
    exempt_app_names = frozenset({"twostep", "twostep-api"})

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._is_async:
            return self.__acall__(request)
        self.install_otp_accessors(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self.install_otp_accessors(request)
        return await self.get_response(request)

    @staticmethod
    def install_otp_accessors(request: HttpRequest) -> None:
        """Give ``request.user`` (and ``request.auser()``) django-otp's attributes."""
        user = getattr(request, "user", None)
        if user is not None:
            request.user = LazyOTPUser(request, user)
        auser = getattr(request, "auser", None)
        if auser is not None:
            request.auser = partial(_averified_user, request, auser)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        match = request.resolver_match
        app_names = match.app_names if match is not None else ()
        if app_names:  # most of a site's URLs have none: nothing to compare
            if not self.exempt_app_names.isdisjoint(app_names):
                return None
            if self.protect_admin and self.admin_app_name in app_names:
                return self.guard_admin(request, match)
        if _names_nobody(request):
            return None  # an anonymous visit: nothing to enforce, nothing loaded
        user = request.user
        if user.is_authenticated and self.must_enroll(user):
            return HttpResponseRedirect(url_with_next(enrollment_url_name(), self.here(request)))
        return None

    def must_enroll(self, user: AbstractBaseUser) -> bool:
        """:func:`django_twostep.flows.must_enroll` (a hook for subclasses)."""
        return must_enroll(user)

    def guard_admin(self, request: HttpRequest, match: ResolverMatch) -> HttpResponse | None:
        """Let verified sessions in; send everyone else through the two-step pages."""
        if match.url_name == "logout":
            return None
        user = request.user
        if user.is_authenticated and is_verified(user):
            return None
        if user.is_authenticated and user.is_staff:
            target = "twostep:verify" if has_two_factor(user) else enrollment_url_name()
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


async def _averified_user(request: HttpRequest, auser: Callable[[], Any]) -> Any:
    """``request.auser()``: async code cannot read the device later, so read it now,
    on every call as django-otp does (after ``alogout()`` the session has none)."""
    user = _with_is_verified(request, await auser())
    user.otp_device = await sync_to_async(_session_device)(request, user)
    return user
