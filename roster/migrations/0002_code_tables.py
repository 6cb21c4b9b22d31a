from django.db import migrations


def load(apps, schema_editor):
    from roster.data.loaders import code_tables_ensure

    code_tables_ensure(apps.get_model("roster", "CodeTable"))


class Migration(migrations.Migration):
    dependencies = [("roster", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
