"""The e-mail method's endpoints, included into ``django_twostep.api.urls`` by the registry."""

from django.urls import path

from . import api

urlpatterns = [
    path("users/<str:username>/email-otp", api.EmailOTPView.as_view(), name="email-otp"),
]
