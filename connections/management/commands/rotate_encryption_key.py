"""Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEY.

Rotation: put the new key first in FIELD_ENCRYPTION_KEY (keeping the old ones after it), run this
command, then remove the old keys. Rows are read with any configured key and written with the first.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from connections.credentials.fields import SecretField


def secret_columns():
    """(model, [field names]) for every model with SecretFields."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, SecretField)]
        if names:
            yield model, names


class Command(BaseCommand):
    help = "Re-encrypt every secret with the newest FIELD_ENCRYPTION_KEY so older keys can be removed."

    @scopes_disabled()
    def handle(self, **options):
        total = 0
        for model, names in secret_columns():
            count = 0
            manager = model._base_manager
            for pk in manager.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=500):
                with transaction.atomic():
                    values = manager.select_for_update().filter(pk=pk).values(*names).first()
                    if values is None:
                        continue
                    manager.filter(pk=pk).update(**values)
                count += 1
            total += count
            self.stdout.write(f"{model._meta.label}: re-encrypted {', '.join(names)} on {count} rows")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows now use the newest key."))
