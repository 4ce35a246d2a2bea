"""The JSON API of django-twostep (Django REST framework).

Include it with ``path("api/v1/", include("django_twostep.api.urls"))``. Every
view here is thin glue over :mod:`django_twostep.flows`; the pieces a site can
reuse for its own endpoints are:

- :class:`~django_twostep.api.authentication.BearerTokenAuthentication`,
- :class:`~django_twostep.api.permissions.StepUpRequired`,
- :class:`~django_twostep.api.views.TwoStepAPIView` (the error envelope,
  parsers, renderers and ``Cache-Control: no-store`` of these views).
"""
