"""GIN index over the replies' bigram search vector and an index for the portal, on PostgreSQL."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS reply_search_vector_gin ON replies_reply USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS reply_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("replies", "0003_search")]
    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
