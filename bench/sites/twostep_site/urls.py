from benchkit.views import whoami
from django.urls import include, path

from twostep_site.api import WhoAmI

urlpatterns = [
    path("accounts/", include("django_twostep.urls")),
    path("api/v1/", include("django_twostep.api.urls")),
    path("bench-api/whoami", WhoAmI.as_view(), name="whoami-api"),
    path("whoami/", whoami, name="whoami"),
]
