from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, for operators too."""

    list_display = ["created_at", "tenant", "kind", "level", "message", "pinned"]
    list_filter = ["tenant", "level", "kind", "pinned"]
    search_fields = ["message", "kind", "uuid", "source_ref", "target_ref"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
