"""A user's methods through the API, for every method of ``TWOSTEP_METHODS``:
``GET users/{username}/methods`` lists them, ``DELETE users/{username}/methods/{name}``
removes one (step-up)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from .. import flows
from ..flows.changes import removable_method
from ..methods import all_methods
from . import schema
from .views import AccountView


class MethodsView(AccountView):
    """``GET users/{username}/methods``: each configured method and its state for the user."""

    @schema.methods_get
    def get(self, request: Request, username: str) -> Response:
        state = flows.two_factor_state(request.user)
        return Response(
            {
                "methods": [
                    {
                        "name": method.name,
                        "label": str(method.label),
                        "kind": method.kind,
                        "backup": method.backup,
                        "active": method.name in state.methods
                        or (method.backup and state.recovery_codes_remaining > 0),
                        "pending": method.name in state.pending_methods,
                    }
                    for method in all_methods()
                ]
            }
        )


class RemovableMethod(BasePermission):
    """``{name}`` is a method the caller has something of to remove
    (:func:`~django_twostep.flows.changes.removable_method` raises why not)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        removable_method(request.user, view.kwargs.get("name"))
        return True


class MethodView(AccountView):
    """``DELETE users/{username}/methods/{name}``: remove a method (needs step-up: a
    token verified within the grace, or ``X-MFA-Code``). Removing the last one
    takes the recovery codes with it."""

    changing_methods = frozenset({"DELETE"})

    def get_permissions(self) -> list[Any]:
        # What cannot be removed is refused before the step-up permission checks
        # (and spends) an X-MFA-Code: after the account's own checks, before it.
        permissions = super().get_permissions()
        if self.request.method == "DELETE":
            permissions.insert(-1, RemovableMethod())
        return permissions

    @schema.method_delete
    def delete(self, request: Request, username: str, name: str) -> Response:
        flows.remove_method(
            request.user, name, verified_at=self.verified_at(), origin=self.origin()
        )
        return Response(status=204)
