from django.contrib import admin
from django.urls import include, path

from example_project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("password/", views.change_password, name="change-password"),
    path("outbox/", views.outbox, name="outbox"),
    path("accounts/", include("django_twostep.urls")),
    path("admin/", admin.site.urls),
]
