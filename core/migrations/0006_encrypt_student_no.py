from django.db import migrations, models

import core.crypto


def encrypt_existing(apps, schema_editor):
    """Encrypt 学籍号 values stored in clear before this migration and fill their blind index."""
    from core.crypto import PREFIX, blind_index, encrypt

    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT id, student_no FROM core_student")
        for pk, value in cur.fetchall():
            if not value or value.startswith(PREFIX):
                continue
            plain = value.strip().upper()
            cur.execute(
                "UPDATE core_student SET student_no = %s, student_no_index = %s WHERE id = %s",
                [encrypt(plain), blind_index(plain, "student_no"), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0005_rolegrant_unique_expr")]

    operations = [
        migrations.AddField(
            model_name="student",
            name="student_no_index",
            field=models.CharField(blank=True, editable=False, max_length=40, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="student",
            name="student_no",
            field=core.crypto.EncryptedCharField(verbose_name="学籍号"),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
