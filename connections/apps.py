from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Tenants and connections"

    def ready(self):
        from connections import checks  # noqa: F401 - registers the registry's system check
