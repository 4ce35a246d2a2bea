from django.contrib import admin

from .models import RecoveryCodeDevice, TOTPDevice, UserThrottle


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
    # The secret is never shown or edited here.
    exclude = ["encrypted_key"]
    readonly_fields = ["last_t", "drift", "created_at", "last_used_at"]


@admin.register(RecoveryCodeDevice)
class RecoveryCodeDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_used_at"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(UserThrottle)
class UserThrottleAdmin(admin.ModelAdmin):
    list_display = ["user", "failures", "locked_until"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
