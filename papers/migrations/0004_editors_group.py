"""The "Editors" group: everything on the catalogue, uploads and merges; nothing on users or groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
CATALOGUE = [
    "paper",
    "summary",
    "author",
    "authorship",
    "category",
    "paperlink",
    "score",
    "relatedpaper",
    "digestentry",
    "digest",
]
PERMISSIONS = (
    [f"{action}_{model}" for model in CATALOGUE for action in ("view", "add", "change", "delete")]
    + ["view_source"]
    + ["view_importjob", "add_importjob", "change_importjob", "view_importjobfile"]
    + ["upload_digest", "merge_paper", "merge_author"]
)


def create_editors(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); a fresh database has none yet.
    app_config = apps.get_app_config("papers")
    models_module = getattr(app_config, "models_module", None)  # migration states have AppConfigStubs
    app_config.models_module = models_module or True  # create_permissions skips apps without models
    try:
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    finally:
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="papers", codename__in=PERMISSIONS))
    missing = sorted(set(PERMISSIONS) - {permission.codename for permission in permissions})
    if missing:
        raise RuntimeError(f"permissions not found for the Editors group: {', '.join(missing)}")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(permissions)


def delete_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0003_editor_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, delete_editors)]
