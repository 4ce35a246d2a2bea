"""The example site plus views of a "host site" built on DRF, outside django-twostep."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_twostep.api.authentication import BearerTokenAuthentication
from example_project.urls import urlpatterns as example_urlpatterns


class WhoAmI(APIView):
    """A site's own view using django-twostep's authentication class only."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response({"user": user.get_username(), "verified": user.is_verified()})


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField()


class HostView(APIView):
    """A site's own DRF view with DRF's defaults: its errors stay DRF's."""

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


urlpatterns = [
    path("host/whoami", WhoAmI.as_view()),
    path("host/echo", HostView.as_view()),
    *example_urlpatterns,
]
