"""The example site's own API endpoint, protected by django-twostep's step-up."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from django_twostep.api import schema
from django_twostep.api.permissions import StepUpRequired
from django_twostep.api.serializers import MAX_PASSWORD_LENGTH, StringField
from django_twostep.api.views import TwoStepAPIView
from django_twostep.flows import tokens


class PasswordChangeSerializer(serializers.Serializer):
    password = StringField(max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False)
    new_password = StringField(max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False)


class PasswordView(TwoStepAPIView):
    """``PATCH api/v1/me/password``: change one's password (step-up protected).

    Every other token of the user is revoked; the one that made the change
    goes on working.
    """

    permission_classes = (IsAuthenticated, StepUpRequired)

    @schema.step_up("Change your password", request=PasswordChangeSerializer)
    def patch(self, request: Request) -> Response:
        data = self.validated(PasswordChangeSerializer)
        user = request.user
        if not user.check_password(data["password"]):
            raise ValidationError({"password": ["The current password is not correct."]})
        try:
            password_validation.validate_password(data["new_password"], user)
        except DjangoValidationError as exc:
            raise ValidationError({"new_password": list(exc.messages)}) from None
        user.set_password(data["new_password"])
        user.save(update_fields=["password"])
        tokens.password_changed(user, keep=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
