"""The authenticator-app pages, included into ``django_twostep.urls`` by the registry."""

from django.urls import path

from . import views

urlpatterns = [
    path("two-factor/totp/setup/", views.TOTPSetupView.as_view(), name="totp-setup"),
    path("two-factor/totp/setup/qr.png", views.TOTPQRCodeView.as_view(), name="totp-qr"),
    path("two-factor/totp/disable/", views.TOTPDisableView.as_view(), name="totp-disable"),
]
