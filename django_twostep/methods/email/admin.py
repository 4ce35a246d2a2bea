"""The e-mail method's devices in the admin (named by EmailMethod.admin_class)."""

from django.contrib import admin


class EmailDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "email"]
    raw_id_fields = ["user"]
    # The live code's digest is nobody's business.
    exclude = ["code_digest"]
    readonly_fields = ["code_expires_at", "code_attempts_left", "created_at", "last_used_at"]
