"""A trigram index for the audit log's text filter, on PostgreSQL only.

`message__icontains` compiles to `UPPER(message) LIKE UPPER('%words%')`; without this index a search for
words that are rare or absent reads every event of the tenant (over a second at a million events,
tests/bench/bench_audit_log.py). pg_trgm is a trusted extension: the database owner may create it.
SQLite has no such index and scans, which suits the small installations it serves.
"""

from django.db import migrations

INDEX = "audit_message_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON audit_auditevent USING gin (UPPER(message) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_log_filters_retention")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
