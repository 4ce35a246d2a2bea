"""The adapter: what a site most often customises, in one class named by a setting.

Subclass :class:`DefaultAdapter` and point ``TWOSTEP_ADAPTER`` at it::

    # myproject/twostep.py
    from django_twostep.adapter import DefaultAdapter

    class SmsAdapter(DefaultAdapter):
        def send_code(self, user, code, *, purpose, address, expires_in):
            sms_gateway.send(user.profile.phone, f"Your code: {code}")

    # settings.py
    TWOSTEP_ADAPTER = "myproject.twostep.SmsAdapter"
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from .conf import twostep_settings

# Why a code was sent: the message templates can say so.
PURPOSES = ("setup", "login", "step_up")


class DefaultAdapter:
    """Sends codes by e-mail through the site's e-mail backend."""

    subject_template = "django_twostep/email/code_subject.txt"
    text_template = "django_twostep/email/code_message.txt"
    html_template = "django_twostep/email/code_message.html"

    def login_allowed(self, user: AbstractBaseUser) -> bool:
        """Whether a user whose password is right may log in, on the pages and the API
        alike (default: active users). Refused users get ``invalid_credentials``."""
        return bool(getattr(user, "is_active", True))

    def get_issuer(self) -> str:
        return twostep_settings.ISSUER

    def get_code_context(
        self, user: AbstractBaseUser, code: str, *, purpose: str, expires_in: int
    ) -> dict[str, Any]:
        return {
            "user": user,
            "code": code,
            "purpose": purpose,
            "expires_in_minutes": max(1, expires_in // 60),
            "issuer": self.get_issuer(),
        }

    def send_code(
        self, user: AbstractBaseUser, code: str, *, purpose: str, address: str, expires_in: int
    ) -> None:
        """Deliver ``code`` to ``address``. Override to use another channel.

        Must not log the code. Raising here makes the sending flow fail (the
        code is then void and the send is not counted).
        """
        context = self.get_code_context(user, code, purpose=purpose, expires_in=expires_in)
        subject = " ".join(render_to_string(self.subject_template, context).split())
        message = EmailMultiAlternatives(
            subject=subject, body=render_to_string(self.text_template, context), to=[address]
        )
        message.attach_alternative(render_to_string(self.html_template, context), "text/html")
        message.send()


def get_adapter() -> DefaultAdapter:
    """An instance of the adapter ``TWOSTEP_ADAPTER`` names."""
    return import_string(twostep_settings.ADAPTER)()
