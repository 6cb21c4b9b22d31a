from django.db import migrations


def load(apps, schema_editor):
    from core.data.loaders import regions_ensure

    regions_ensure(apps.get_model("core", "Region"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
