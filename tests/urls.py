"""The example site's URLs plus views that only tests need."""

import pickle

from asgiref.sync import sync_to_async
from django.contrib.auth import alogout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View
from django_otp.decorators import otp_required

from django_twostep.decorators import StepUpRequiredMixin
from django_twostep.middleware import is_verified
from example_project.urls import urlpatterns as example_urlpatterns


class SensitiveView(StepUpRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("sensitive")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("changed")


def plain(request: HttpRequest) -> HttpResponse:
    """Never looks at the user."""
    return HttpResponse("plain")


@login_required
def whoami(request: HttpRequest) -> HttpResponse:
    """Asks nothing about the second factor."""
    return HttpResponse(request.user.get_username())


def asks(request: HttpRequest) -> HttpResponse:
    """Asks only ``is_verified()`` (django-otp's question), as a site's page does."""
    return HttpResponse(f"{request.user.get_username()} {request.user.is_verified()}")


def verified(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{request.user.is_verified()} {request.user.otp_device!r}")


@otp_required
def otp_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("verified")


def pickled(request: HttpRequest) -> HttpResponse:
    """The user through pickle (a cache, a task queue) keeps its verdict."""
    user = pickle.loads(pickle.dumps(request.user))
    return HttpResponse(f"{user.is_verified()}")


async def alogged_out(request: HttpRequest) -> HttpResponse:
    await alogout(request)
    # Django 6 hands out a new AnonymousUser here (no is_verified at all); 5.2
    # the user it had cached, whose device must be read again.
    user = await request.auser()
    return HttpResponse(f"{await sync_to_async(is_verified)(user)}")


async def averified(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    device = user.otp_device
    return HttpResponse(f"{user.is_verified()} {device.pk if device else None}")


urlpatterns = [
    *example_urlpatterns,
    path("sensitive/", SensitiveView.as_view(), name="sensitive"),
    path("plain/", plain),
    path("whoami/", whoami),
    path("asks/", asks),
    path("verified/", verified),
    path("otp-only/", otp_only),
    path("averified/", averified),
    path("pickled/", pickled),
    path("alogged-out/", alogged_out),
]
