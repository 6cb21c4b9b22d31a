from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="lines",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="[{key, label, kind: rank|score, value}]；为空时用默认的前 10%/30%/60% 三条线",
                verbose_name="上线分数线",
            ),
        ),
    ]
