"""Import jobs keep their preview (computed by the background worker for large uploads) and say when it was
made; a "view_all_imports" permission lets a user see every editor's jobs (the Editors group does not get
it: an editor sees only their own)."""

from django.db import migrations, models
from django.db.models import F, Q


def previewed_when_created(apps, schema_editor):
    # Until now every job was previewed in the upload request that created it.
    apps.get_model("papers", "ImportJob").objects.update(previewed_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("papers", "0009_search_gin_with_facets")]

    operations = [
        migrations.AlterModelOptions(
            name="importjob",
            options={
                "ordering": ["-created_at"],
                "permissions": [("view_all_imports", "Can view the import jobs of every editor")],
            },
        ),
        migrations.AddField(
            model_name="importjob",
            name="previewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="preview",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(previewed_when_created, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="importjob",
            constraint=models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(previewed_at__isnull=False),
                name="importjob_confirmed_after_preview",
            ),
        ),
    ]
