# Each language is on too many papers for an index on it to pay (see Paper.Meta.indexes).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0007_facet_id_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="paper",
            name="paper_languages_gin",
        ),
    ]
