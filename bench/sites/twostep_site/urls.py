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

# The hot-path figures (h): the same API view per bearer authentication, a plain
# page, and a page that asks whether the session is verified.
try:
    from twostep_site import hotpath

    urlpatterns += [
        path("hot/plain/", hotpath.plain, name="hot-plain"),
        path("hot/verified/", hotpath.verified_whoami, name="hot-verified"),
    ]
    urlpatterns += [
        path(f"hot/bearer/{name}/", hotpath.whoami_view(cls).as_view(), name=f"hot-{name}")
        for name, cls in hotpath.authentication_classes().items()
    ]
except ImportError:  # no django_twostep.api: no bearer variant of ours
    pass
