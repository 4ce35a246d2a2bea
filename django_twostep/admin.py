"""The admin: each configured method's devices (its ``admin_class``), the back-off,
security events (read-only), trusted browsers, and the reset action."""

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .flows.maintenance import reset_two_factor
from .http import origin_from_request
from .methods import all_methods
from .models import SecurityEvent, TrustedBrowser, UserThrottle
from .views.account import method_label

try:
    _methods = all_methods()
except ImproperlyConfigured:  # manage.py check says what is wrong (E008)
    _methods = ()
for _method in _methods:
    if _method.admin_class and not admin.site.is_registered(_method.device_model):
        admin.site.register(_method.device_model, import_string(_method.admin_class))


@admin.register(UserThrottle)
class UserThrottleAdmin(admin.ModelAdmin):
    list_display = ["user", "failures", "locked_until"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the record of what happened is not edited."""

    list_display = ["created_at", "user", "event", "how", "count", "ip"]
    list_filter = ["event", "method"]
    search_fields = ["user__username", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    @admin.display(description=SecurityEvent._meta.get_field("method").verbose_name)
    def how(self, event: SecurityEvent) -> str | Promise | None:
        """The method by its label, as the user's activity list names it."""
        return method_label(event.method) if event.method else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TrustedBrowser)
class TrustedBrowserAdmin(admin.ModelAdmin):
    """Trusted browsers can be looked at and deleted (revoked), not created or edited."""

    list_display = ["user", "user_agent", "created_at", "last_used_at", "expires_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    # The digests are useless to a person and stay out of sight.
    exclude = ["digest", "password_digest"]
    readonly_fields = ["user", "user_agent", "created_at", "last_used_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.action(description=_("Reset two-step login (remove methods, revoke tokens)"))
def reset_two_step_login(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    """Admin action for a user admin: the same rescue as ``manage.py twostep_reset``.

    Add it to your ``UserAdmin``: ``actions = [reset_two_step_login]``.
    """
    origin = origin_from_request(request)
    users = list(queryset)
    for user in users:
        reset_two_factor(user, origin=origin)
    modeladmin.message_user(
        request, ngettext("Reset %d user.", "Reset %d users.", len(users)) % len(users)
    )
