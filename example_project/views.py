from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from django_twostep import flows


def home(request: HttpRequest) -> HttpResponse:
    """Who is logged in, and where their two-step login stands."""
    user = request.user
    context = {
        "state": flows.two_factor_state(user) if user.is_authenticated else None,
        "verified": user.is_authenticated and user.is_verified(),
    }
    return render(request, "home.html", context)
