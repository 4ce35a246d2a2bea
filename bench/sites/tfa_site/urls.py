from benchkit.views import whoami
from django.urls import include, path
from two_factor.urls import urlpatterns as tf_urls

urlpatterns = [
    path("", include(tf_urls)),
    path("whoami/", whoami, name="whoami"),
]
