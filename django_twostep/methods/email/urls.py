"""The e-mail method's pages, included into ``django_twostep.urls`` by the registry."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/code/email/", views.LoginEmailCodeView.as_view(), name="login-code-email"),
    path("two-factor/email/setup/", views.EmailSetupView.as_view(), name="email-setup"),
    path("two-factor/verify/email/", views.VerifyEmailCodeView.as_view(), name="verify-email"),
]
