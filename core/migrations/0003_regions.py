from django.db import migrations


def load(apps, schema_editor):
    from core.data.regions import CITIES, COUNTIES, PROVINCES

    Region = apps.get_model("core", "Region")
    by_code = {}
    for code, name in PROVINCES:
        by_code[code] = Region.objects.create(code=code, name=name, level="province")
    for code, name, parent in CITIES:
        by_code[code] = Region.objects.create(code=code, name=name, level="city", parent=by_code[parent])
    for code, name, parent in COUNTIES:
        Region.objects.create(code=code, name=name, level="county", parent=by_code[parent])


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
