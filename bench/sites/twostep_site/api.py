"""A protected API view authenticated by django-twostep's bearer tokens."""

import inspect

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def bearer_authentication() -> type[BaseAuthentication]:
    """The app's DRF authentication class for its bearer tokens (SPEC 4: "ships" one)."""
    from django_twostep.api import authentication

    found = [
        cls
        for _, cls in inspect.getmembers(authentication, inspect.isclass)
        if issubclass(cls, BaseAuthentication)
        and cls is not BaseAuthentication
        and cls.__module__ == authentication.__name__
    ]
    if len(found) != 1:
        raise LookupError(f"expected one authentication class, found {found}")
    return found[0]


class WhoAmI(APIView):
    authentication_classes = [bearer_authentication()]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username()})
