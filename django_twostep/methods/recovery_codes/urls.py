"""The recovery-codes pages, included into ``django_twostep.urls`` by the registry."""

from django.urls import path

from . import views

urlpatterns = [
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path(
        "two-factor/recovery-codes/download/",
        views.RecoveryCodesDownloadView.as_view(),
        name="recovery-codes-download",
    ),
]
