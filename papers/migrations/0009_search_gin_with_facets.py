# Searches and their two commonest facet filters answered in one index scan (see Paper.Meta.indexes).

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0008_drop_languages_gin"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="paper",
            name="paper_search_vector_gin",
        ),
        migrations.RemoveIndex(
            model_name="paper",
            name="paper_category_ids_gin",
        ),
        migrations.AddIndex(
            model_name="paper",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "category_ids", "languages"], name="paper_search_gin"
            ),
        ),
    ]
