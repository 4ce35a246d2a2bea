"""The example site's URLs plus views that only tests need."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from django_twostep.decorators import StepUpRequiredMixin
from example_project.urls import urlpatterns as example_urlpatterns


class SensitiveView(StepUpRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("sensitive")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("changed")


urlpatterns = [
    *example_urlpatterns,
    path("sensitive/", SensitiveView.as_view(), name="sensitive"),
]
