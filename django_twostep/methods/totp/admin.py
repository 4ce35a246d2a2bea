"""The authenticator app's devices in the admin (named by TOTPMethod.admin_class)."""

from django.contrib import admin


class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
    # The secret is never shown or edited here.
    exclude = ["encrypted_key"]
    readonly_fields = ["last_t", "drift", "created_at", "last_used_at"]
