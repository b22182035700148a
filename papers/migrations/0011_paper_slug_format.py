# Every stored paper can be linked: a slug is a slug (the paper key URL converter takes those). paper_slug()
# only ever made slugs, so existing rows pass.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0010_importjob_background_preview_and_owner"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.CheckConstraint(
                condition=models.Q(slug__regex="^[-a-zA-Z0-9_]+$"), name="paper_slug_format"
            ),
        ),
    ]
