from benchkit.views import whoami
from django.contrib.auth.views import LoginView
from django.urls import path

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("whoami/", whoami, name="whoami"),
]
