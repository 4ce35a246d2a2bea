"""Security keys in the admin (named by WebAuthnMethod.admin_class): listed and
removable; nothing here is secret, and the public key is not shown either."""

from django.contrib import admin


class WebAuthnCredentialAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "discoverable", "created_at", "last_used_at"]
    list_filter = ["discoverable", "backed_up"]
    search_fields = ["user__username", "name"]
    raw_id_fields = ["user"]
    exclude = ["public_key"]
    readonly_fields = [
        "credential_id",
        "sign_count",
        "transports",
        "aaguid",
        "discoverable",
        "backup_eligible",
        "backed_up",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False  # a key is registered by its owner, in a browser
