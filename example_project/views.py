from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from django_twostep import flows
from django_twostep.decorators import step_up_required
from example_project.mail import read_outbox


def home(request: HttpRequest) -> HttpResponse:
    """Who is logged in, and where their two-step login stands."""
    user = request.user
    context = {
        "state": flows.two_factor_state(user) if user.is_authenticated else None,
        "verified": user.is_authenticated and user.is_verified(),
        "debug_outbox": settings.DEBUG,
    }
    return render(request, "home.html", context)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
@step_up_required
def change_password(request: HttpRequest) -> HttpResponse:
    """A sensitive page: a code from the last 30 minutes (step-up) is needed to see it.

    Changing the password also voids the user's trusted browsers and pending logins.
    """
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.", extra_tags="password_changed")
        return redirect("home")
    return render(request, "change_password.html", {"form": form})


@never_cache
def outbox(request: HttpRequest) -> HttpResponse:
    """The mails the demo sent (DEBUG only), so e-mailed codes work without a mail server."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "outbox.html", {"mails": read_outbox()})
