from django.contrib.admin.apps import AdminConfig


class OperatorsAdminConfig(AdminConfig):
    default_site = "mlconnector.admin.OperatorsAdminSite"
