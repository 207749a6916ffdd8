from django.contrib.admin import AdminSite

from connections.accounts.forms import ThrottledAdminAuthenticationForm


class OperatorsAdminSite(AdminSite):
    """The Django admin is the platform operators' cross-tenant tool: superusers only. Its log-in is throttled
    like the log-in page, so guessing an operator's password there is no easier than anywhere else."""

    site_header = "ml-connector operators"
    site_title = "ml-connector operators"
    login_form = ThrottledAdminAuthenticationForm

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser
