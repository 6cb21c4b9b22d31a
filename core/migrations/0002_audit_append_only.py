from django.db import migrations

from core.audit_triggers import SQL


def run(which):
    def apply(apps, schema_editor):
        for sql in SQL.get(schema_editor.connection.vendor, {}).get(which, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(run("install"), run("uninstall"))]
