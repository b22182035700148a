# The newest digests first, as Digest.Meta.ordering reads them: the home page walks this index and checks
# each digest for a published paper (DigestQuerySet.public) until it has ten, instead of checking every
# digest and sorting them.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0012_category_code_format"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="digest",
            index=models.Index(
                models.OrderBy(models.F("issued"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                name="digest_newest_idx",
            ),
        ),
    ]
