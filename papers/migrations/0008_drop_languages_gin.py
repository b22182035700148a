# An index on languages alone never pays: each language is on a quarter to half of the papers.

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
