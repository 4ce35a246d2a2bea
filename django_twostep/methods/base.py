"""The method protocol: what django-twostep asks of each way to pass the second step.

A method is a class named in ``TWOSTEP_METHODS`` (see :mod:`.registry`). The
login pages, the API, step-up, the settings page and the importer ask the
registry for the methods instead of naming them, so a site can drop a built-in
method or add its own (an SMS code through its provider, say) in settings.

Kinds:

- ``"code"``: the user types a code (authenticator app, e-mail, SMS,
  recovery codes). :meth:`Method.match` checks one.
- ``"ceremony"``: the browser or client runs a ceremony instead (security keys
  and passkeys).

Recovery codes are a method of their own kind: ``backup = True``. They back
the others up (they are offered wherever a code is asked for, made when the
first method is activated, removed with the last one) but never turn two-step
login on by themselves, and :func:`~django_twostep.flows.methods.active_methods`
does not list them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.functional import Promise
from django_otp.models import Device

Kind = Literal["code", "ceremony"]


class Method:
    """One second-factor method. Subclass it, set the class attributes, implement
    :meth:`match`, and list the class in ``TWOSTEP_METHODS``.

    ``name`` is stable API: it is what ``meta.methods`` lists, what the API's
    ``method`` field takes and what security events record.
    """

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    kind: ClassVar[Kind] = "code"
    # Backs the other methods up (recovery codes): see the module docstring.
    backup: ClassVar[bool] = False
    # Only digits are tried (spares a query for a recovery code typed on page 2).
    digits_only: ClassVar[bool] = False
    # The django-otp device model holding the method's secret, one row per set-up.
    device_model: ClassVar[type[Device]]

    def devices(self, user: AbstractBaseUser, *, confirmed: bool = True) -> QuerySet[Device]:
        """The user's devices of this method (active ones by default)."""
        return self.device_model.objects.filter(user_id=user.pk, confirmed=confirmed)

    def is_active(self, user: AbstractBaseUser) -> bool:
        return self.devices(user).exists()

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        """Use up ``code`` (normalised) if it is right for this method; the device, or None.

        Runs inside :func:`~django_twostep.flows.codes.checked` (the user's lock
        is held, and a wrong code counts for the back-off there); it must spend
        the code atomically, so a code works once even when two requests race.
        ``devices``: the user's active devices, when the caller read them already.
        """
        raise NotImplementedError

    def accepts(self, code: str) -> bool:
        """Whether ``code`` can be one of this method's at all (cheap, no query)."""
        return not self.digits_only or (code.isascii() and code.isdigit())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
