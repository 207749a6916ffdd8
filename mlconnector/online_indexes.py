"""A migration operation that builds an index without blocking writes on PostgreSQL.

A plain CREATE INDEX holds a lock that stops every INSERT and UPDATE of the table until the index is built: on
the inbound events of a busy deployment that is minutes of webhooks refused. CREATE INDEX CONCURRENTLY lets
writes go on (and may not run in a transaction, so a migration using it sets `atomic = False`). Other
databases build the index as usual.
"""

from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndex):
    """AddIndex, CONCURRENTLY on PostgreSQL (the migration must say `atomic = False`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
