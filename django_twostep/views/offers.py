"""What the code pages (page 2, step-up) offer: the user's methods, each shown by its
own templates, and the links between the code field and the recovery-code field."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..methods import Method, all_methods, backup_method

# The link back from the recovery-code field when no method of the user names one.
ENTER_A_CODE = _("Enter a code instead")


@dataclass(frozen=True)
class OtherMethod:
    """A way to pass a code page other than typing into the code field as shown."""

    key: str
    label: str | Promise
    url: str


def method_offers(names: list[str], recovery: bool) -> list[Method]:
    """The methods a code page shows, in ``TWOSTEP_METHODS`` order: those of ``names``
    (the user's active methods), or the backup alone when its field is asked for."""
    if recovery:
        backup = backup_method()
        return [backup] if backup is not None else []
    return [method for method in all_methods() if method.name in names and not method.backup]


def ceremonies_of(offered: list[Method]) -> list[Method]:
    """The offered methods the browser answers with a ceremony (a security key): a code
    page shows them above its code field, each from its own hint template."""
    return [method for method in offered if method.kind == "ceremony"]


def codes_of(offered: list[Method]) -> list[Method]:
    """The offered methods whose codes go in the code field."""
    return [method for method in offered if method.kind != "ceremony"]


def shows_code_field(offered: list[Method], recovery: bool) -> bool:
    """Whether a code page shows its code field: for the recovery-code field, for any
    code method offered, and when nothing but ceremonies is offered not at all (the
    recovery codes are a link away)."""
    return recovery or not offered or bool(codes_of(offered))


def other_ways(names: list[str], recovery: bool, here: str) -> list[OtherMethod]:
    """Links under a code form: to the recovery-code field (``?method=recovery``), or
    from it back to the code field."""
    if recovery:
        for method in method_offers(names, False):
            if method.use_label:
                return [OtherMethod(method.name, method.use_label, here)]
        return [OtherMethod("code", ENTER_A_CODE, here)]
    backup = backup_method()
    if backup is None or not backup.use_label:
        return []
    joint = "&" if "?" in here else "?"
    return [OtherMethod(backup.name, backup.use_label, f"{here}{joint}method=recovery")]
