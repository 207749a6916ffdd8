from django.contrib.admin import AdminSite


class OperatorsAdminSite(AdminSite):
    """The Django admin is the platform operators' cross-tenant tool: superusers only."""

    site_header = "ml-connector operators"
    site_title = "ml-connector operators"

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser
