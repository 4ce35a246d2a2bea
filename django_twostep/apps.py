from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoStepConfig(AppConfig):
    name = "django_twostep"
    label = "django_twostep"
    verbose_name = _("Two-step login")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .flows.codes import verify_device_code
        from .models import set_token_verifier

        # The models never import the flows (they sit below them); django-otp's
        # Device.verify_token reaches the flows' checked path through this hook.
        set_token_verifier(verify_device_code)
