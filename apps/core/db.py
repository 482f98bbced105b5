"""Database helpers for features only PostgreSQL has."""

from django.db import connection, migrations


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """AddIndex that is a no-op on other databases (GIN/full-text indexes).

    The index stays in the model state everywhere, so makemigrations sees no difference.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class CreateExtensionOnPostgreSQL(migrations.RunSQL):
    def __init__(self, name: str) -> None:
        super().__init__(
            sql=f"CREATE EXTENSION IF NOT EXISTS {name}",
            reverse_sql=migrations.RunSQL.noop,
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass
