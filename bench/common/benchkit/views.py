from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def whoami(request: HttpRequest) -> HttpResponse:
    """The protected page: 200 with the username for a logged-in user."""
    return HttpResponse(request.user.get_username(), content_type="text/plain")
