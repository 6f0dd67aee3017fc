"""The one index of the line table: BRIN on PostgreSQL (lines arrive in invoice order, so it is
near free to maintain during COPY), a B-tree on SQLite (which has no BRIN)."""

from django.db import migrations

NAME = "upstream_line_invoice_batch"


def create(apps, schema_editor):
    table = apps.get_model("upstream", "UpstreamLineItem")._meta.db_table
    method = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {NAME} ON {table} {method}(invoice_id, batch_id)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {NAME}")


class Migration(migrations.Migration):
    dependencies = [("upstream", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
