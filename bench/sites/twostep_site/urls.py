from benchkit.views import whoami
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django_twostep.urls")),
    path("whoami/", whoami, name="whoami"),
]

# The API half is optional (SPEC 1): without it the JSON flow is reported as
# not available while the pages are still measured.
try:
    from twostep_site.api import WhoAmI

    urlpatterns += [
        path("api/v1/", include("django_twostep.api.urls")),
        path("bench-api/whoami", WhoAmI.as_view(), name="whoami-api"),
    ]
except ImportError:  # django_twostep.api (or its urls) not there
    pass
