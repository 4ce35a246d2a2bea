"""The recovery codes' endpoints, included into ``django_twostep.api.urls`` by the registry."""

from django.urls import path

from . import api

urlpatterns = [
    path(
        "users/<str:username>/recovery-codes",
        api.RecoveryCodesView.as_view(),
        name="recovery-codes",
    ),
]
