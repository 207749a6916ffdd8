"""Operators' admin: every model, filterable by tenant, secrets never shown (SecretFields are not editable)."""

from django.contrib import admin

from connections.models import ApiToken, Connection, Integration, Invitation, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "uuid", "created_at"]
    search_fields = ["name", "slug", "uuid"]
    readonly_fields = ["uuid", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    readonly_fields = ["uuid"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__email", "user__username", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["label", "provider", "tenant", "status", "access_expires_at", "last_ping_ok"]
    list_filter = ["tenant", "provider", "status"]
    search_fields = ["label", "uuid", "tenant__name"]
    readonly_fields = ["uuid", "secrets_set", "created_at", "updated_at", "last_ping_at", "last_ping_ok"]
    fields = [
        "uuid",
        "tenant",
        "provider",
        "label",
        "status",
        "addresses",
        "settings",
        "access_expires_at",
        "refresh_expires_at",
        "secrets_set",
        "last_ping_at",
        "last_ping_ok",
        "last_error",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Secrets set")
    def secrets_set(self, obj):
        return ", ".join(obj.secrets_set) or "none"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["kind", "tenant", "source", "target", "enabled"]
    list_filter = ["tenant", "kind", "enabled"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    raw_id_fields = ["source", "target"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are made and revoked on the team page, where they are audited."""

    list_display = ["email", "tenant", "role", "invited_by", "sent_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["email", "tenant__name"]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see and may delete (revoke) tokens; the key itself is not stored, its hash is not shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__email", "name", "prefix"]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
