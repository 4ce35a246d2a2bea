"""The method protocol: what django-twostep asks of each way to pass the second step.

A method is a class named in ``TWOSTEP_METHODS`` (see :mod:`.registry`). The
login pages, the API, step-up, the settings page and the importer ask the
registry for the methods instead of naming them, so a site can drop a built-in
method or add its own (an SMS code through its provider, say) in settings.
docs/methods.md walks through writing one.

Kinds:

- ``"code"``: the user types a code (authenticator app, e-mail, SMS,
  recovery codes). :meth:`Method.match` checks one.
- ``"ceremony"``: the browser or client runs a ceremony instead (security keys
  and passkeys).

Recovery codes are a method of their own kind: ``backup = True``. They back
the others up: they are offered wherever a code is asked for, made when the
first method is activated (:meth:`Method.issue_codes`), removed with the last
one, but never turn two-step login on by themselves, and
:func:`~django_twostep.flows.methods.active_methods` does not list them.

A method class holds no request: the pages and the API call its flows. What
the faces need to show it is named here by strings (URL names, template
names, dotted paths), so this module and the method classes import no view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.functional import Promise
from django_otp.models import Device

if TYPE_CHECKING:
    from ..flows.changes import Activation
    from ..flows.events import Origin

#: How a method is passed: a typed code, or a ceremony run by the browser or client.
Kind = Literal["code", "ceremony"]


@dataclass(frozen=True)
class Site:
    """Where a request came in: its host (without port) and its origin (scheme and
    host), as a ceremony needs them (a security key's relying party)."""

    host: str
    origin: str


class CodeAlreadyUsed(Exception):
    """Raised by :meth:`Method.match`, instead of returning None, for a code that was
    right for one of the user's devices and is used up (an authenticator app's time
    step accepted already).

    It is refused and counted exactly as a wrong code (back-off, the pending
    login's attempts, a ``code_failed`` event); only what the person reads
    differs: ``detail``, which says the code was used and what to do instead
    (wait for the next one). Raise it only for a code equal to one the device
    accepted, never for a wrong one, so it tells nothing to someone guessing.
    """

    def __init__(self, detail: str | Promise) -> None:
        super().__init__("code already used")
        self.detail = detail


# The parts of the shared pages a method fills in (see :meth:`Method.template`).
TEMPLATE_PARTS = ("settings_card", "login_hint", "login_action", "verify_hint", "verify_action")
#: Where a delivered code is for: a set-up, a pending login, a step-up.
Purpose = Literal["setup", "login", "step_up"]


class Method:
    """One second-factor method. Subclass it, set the class attributes, implement
    :meth:`match` (and :meth:`send_code` for a method that delivers its codes),
    and list the class in ``TWOSTEP_METHODS``.

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
    # The server delivers the codes (e-mail, SMS): :meth:`send_code` sends one
    # for a pending login or a step-up, and ``POST mfa/trigger`` takes the name.
    sends_codes: ClassVar[bool] = False
    # The django-otp device model holding the method's secret, one row per set-up.
    device_model: ClassVar[type[Device]]
    # The device's ``related_name`` on the user model, for a method with at most
    # one active device per user: the pending login reads that device in the
    # query that locks the user, and hands it to :meth:`match` (the first code
    # method that sets it; saves a query on page 2 and ``auth/two-factor``).
    preload_relation: ClassVar[str | None] = None

    # -- how the faces show it (strings only: no view is imported) ------------------
    # The method's own pages: a URLconf module included beside the shared pages
    # (``django_twostep.urls``), and its API endpoints, included beside the
    # shared ones (``django_twostep.api.urls``). None: it has none.
    urls: ClassVar[str | None] = None
    api_urls: ClassVar[str | None] = None
    # Its devices' ModelAdmin (dotted path), registered by ``django_twostep.admin``.
    admin_class: ClassVar[str | None] = None
    # URL name of its set-up page (``twostep:...``); None: set up elsewhere.
    setup_url_name: ClassVar[str | None] = None
    # URL name of the page that removes it; the shared removal page (step-up
    # first) when None.
    removal_url_name: ClassVar[str | None] = None
    # "Use <this>" on page 2 and the step-up page, where its code field is shown.
    use_label: ClassVar[str | Promise | None] = None
    # Help under the code field for a user whose codes come from this method.
    code_help_text: ClassVar[str | Promise | None] = None
    # The method's codes in a list of several ("a code from your authenticator
    # app", "one we e-mailed to you"); the label when None.
    code_phrase: ClassVar[str | Promise | None] = None
    # Templates: looked for under ``django_twostep/<name>/`` first, then the
    # shared fallbacks under ``django_twostep/method/`` (see :meth:`template`).
    template_dir: ClassVar[str | None] = None

    # -- the user's devices ------------------------------------------------------------

    def devices(self, user: AbstractBaseUser, *, confirmed: bool = True) -> QuerySet[Device]:
        """The user's devices of this method (active ones by default)."""
        return self.device_model.objects.filter(user_id=user.pk, confirmed=confirmed)

    def is_active(self, user: AbstractBaseUser) -> bool:
        return self.devices(user).exists()

    def is_pending(self, user: AbstractBaseUser) -> bool:
        """A set-up was started and not finished."""
        return self.devices(user, confirmed=False).exists()

    def removable(self, user: AbstractBaseUser) -> bool:
        """Whether there is anything of this method to remove: a device, active or pending."""
        return self.device_model.objects.filter(user_id=user.pk).exists()

    def remove(self, user: AbstractBaseUser) -> None:
        """Delete the user's devices of this method, pending ones too.

        Called by :func:`~django_twostep.flows.changes.remove_method` after its
        step-up, inside its transaction, with the user's lock held.
        """
        self.device_model.objects.filter(user_id=user.pk).delete()

    # -- checking a code ---------------------------------------------------------------

    def match(
        self, user: AbstractBaseUser, code: str, *, devices: Iterable[Device] | None = None
    ) -> Device | None:
        """Use up ``code`` (normalised) if it is right for this method; the device, or None.

        Runs inside :func:`~django_twostep.flows.codes.checked` (the user's lock
        is held, and a wrong code counts for the back-off there); it must spend
        the code atomically, so a code works once even when two requests race.
        ``devices``: the user's active devices, when the caller read them already.
        A right code that was used already may raise :class:`CodeAlreadyUsed`
        instead of returning None, to say so to the person.
        """
        raise NotImplementedError

    def accepts(self, code: str) -> bool:
        """Whether ``code`` can be one of this method's at all (cheap, no query)."""
        return not self.digits_only or (code.isascii() and code.isdigit())

    def stored_forms(self, code: str) -> list[str]:
        """Other forms ``code`` (normalised) takes when this method checks it (a
        recovery code's canonical spelling): error reports hide those too."""
        return []

    def purge_expired(self, now: datetime) -> list[tuple[str, int]]:
        """Delete what the method keeps and can no longer use (``twostep_cleanup``);
        what it purged, as ``(what, count)`` pairs for the command's report."""
        return []

    # -- setting it up -----------------------------------------------------------------

    def begin_setup(
        self, user: AbstractBaseUser, *, verified_at: Any = None, origin: Origin | None = None
    ) -> Any:
        """Start a set-up (a pending device): a secret to show, a code sent...

        Must ask :func:`~django_twostep.flows.policy.authorize_method_change`
        first (a user who has a method needs step-up to add one).
        """
        raise NotImplementedError(f"{self.name} is set up on its own pages")

    def activate(
        self,
        user: AbstractBaseUser,
        response: Any,
        *,
        verified_at: Any = None,
        origin: Origin | None = None,
    ) -> Activation:
        """Finish a set-up with the user's proof (a first code), through
        :func:`~django_twostep.flows.changes.method_activated`."""
        raise NotImplementedError(f"{self.name} is set up on its own pages")

    # -- ceremonies (``kind == "ceremony"``) ------------------------------------------------

    def begin_ceremony(
        self,
        user: AbstractBaseUser | None,
        *,
        purpose: str,
        site: Site,
        login: int | None = None,
    ) -> dict[str, Any]:
        """Start a ceremony for ``purpose`` (``login``: bound to the pending login
        ``login``; ``step_up``); the options the client needs."""
        raise NotImplementedError

    def verify_ceremony(
        self,
        user: AbstractBaseUser,
        response: Any,
        *,
        purpose: str,
        site: Site,
        login: int | None = None,
        origin: Origin | None = None,
    ) -> Device | None:
        """Check the client's answer to a ceremony begun for ``purpose``; the device,
        or None (which counts for the back-off). Runs inside
        :func:`~django_twostep.flows.codes.checked`, like :meth:`match`."""
        raise NotImplementedError

    # -- delivering codes (``sends_codes``) ----------------------------------------------

    def send_code(
        self, user: AbstractBaseUser, *, purpose: Purpose, origin: Origin | None = None
    ) -> None:
        """Deliver a fresh code to the user for ``purpose``.

        Must refuse a user who has not set the method up with
        ``method_not_available`` (the shared flows may call it without asking
        first), and may raise ``resend_too_soon``.
        """
        raise NotImplementedError

    # -- the backup (``backup``) -------------------------------------------------------------

    def codes_remaining(self, user: AbstractBaseUser) -> int:
        """Unused backup codes the user has."""
        return 0

    def issue_codes(self, user: AbstractBaseUser) -> list[str]:
        """Replace the user's backup codes with a fresh set, returned to be shown once."""
        raise NotImplementedError

    def settings_context(self, user: AbstractBaseUser) -> dict[str, Any]:
        """What the method's settings card shows besides on/off (its keys, say)."""
        return {}

    # -- presentation ----------------------------------------------------------------------

    def template(self, part: str) -> list[str]:
        """Template names for one part of a page, the method's own first.

        ``part`` is one of ``settings_card``, ``login_hint``, ``login_action``,
        ``verify_hint``, ``verify_action`` (docs/methods.md). A site overrides
        ``django_twostep/<name>/<part>.html``; a method without one gets the
        shared ``django_twostep/method/<part>.html``.
        """
        own = self.template_dir or f"django_twostep/{self.name}"
        return [f"{own}/{part}.html", f"django_twostep/method/{part}.html"]

    @property
    def templates(self) -> dict[str, list[str]]:
        """:meth:`template` for every part, for ``{% include method.templates.login_hint %}``."""
        return {part: self.template(part) for part in TEMPLATE_PARTS}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
