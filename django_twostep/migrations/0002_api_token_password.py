from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_twostep", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_digest",
            field=models.CharField(default="", max_length=64),
        ),
    ]
