"""Recovery code sets in the admin (named by RecoveryCodesMethod.admin_class)."""

from django.contrib import admin


class RecoveryCodeDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_used_at"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
