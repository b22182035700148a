from django.db import migrations


class Migration(migrations.Migration):
    """A sequence whose value names the catalogue's state: readers' caches key on it, and every change
    to the catalogue takes the next value (papers.search.cache.record_catalogue_change)."""

    dependencies = [("papers", "0005_facet_id_arrays")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE papers_catalogue_version",
            "DROP SEQUENCE papers_catalogue_version",
        ),
    ]
