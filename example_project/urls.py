from django.contrib import admin
from django.urls import include, path

from example_project import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("password/", views.change_password, name="change-password"),
    path("outbox/", views.outbox, name="outbox"),
    path("accounts/", include("django_twostep.urls")),
    path("admin/", admin.site.urls),
    # The site's own endpoint first; django-twostep's API under the same prefix.
    path("api/v1/me/password", api.PasswordView.as_view(), name="api-password"),
    path("api/v1/", include("django_twostep.api.urls")),
]

try:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
except ImportError:  # the "openapi" extra is not installed: no schema pages
    pass
else:
    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path(
            "api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
        ),
    ]
