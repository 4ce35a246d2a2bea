from benchkit.views import whoami
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("whoami/", whoami, name="whoami"),
]
