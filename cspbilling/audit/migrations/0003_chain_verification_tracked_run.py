from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_verification"),
    ]

    operations = [
        migrations.RenameField(
            model_name="chainverification", old_name="checked", new_name="progress_done"
        ),
        migrations.RenameField(
            model_name="chainverification", old_name="total", new_name="progress_total"
        ),
        migrations.AddField(
            model_name="chainverification",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chainverification",
            name="phase",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="chainverification",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
    ]
