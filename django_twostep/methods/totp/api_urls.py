"""The authenticator app's endpoints, included into ``django_twostep.api.urls`` by the registry."""

from django.urls import path

from . import api

urlpatterns = [
    path("users/<str:username>/otp", api.TOTPView.as_view(), name="otp"),
]
