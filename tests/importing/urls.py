"""The example site plus django-two-factor-auth's pages, as a site that still runs it."""

from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urlpatterns

from example_project.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("", include(two_factor_urlpatterns))]
