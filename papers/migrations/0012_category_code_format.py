# A category code has arXiv's shape ("cs.LG", "hep-th", "cond-mat.dis-nn"), checked by the model's validator
# (admin forms) and by the database (every other path). Codes stored before, such as "cs.LG/stat.ML" from an
# arxiv.jp line "カテゴリー: cs.AI, cs.LG/stat.ML", first become the codes they list.

import re
import unicodedata

from django.db import migrations, models

import papers.models
from papers.ingest.categories import ARXIV_CATEGORY_NAMES

# The rule as it was when this migration was written, frozen: a migration must not follow later code.
CATEGORY_CODE_PATTERN = (
    r"^(?:[a-z]{2,}|[a-z]-[a-z]+)(?:-[a-z]+)*(?:\.(?:[A-Z]{2}|[a-z]{3,}(?:-[a-z]+)*|[a-z]+(?:-[a-z]+)+))?$"
)
_CODE = re.compile(CATEGORY_CODE_PATTERN)
_SEPARATORS = re.compile(r"[\s,;/|、・]+")


def listed_codes(text: str) -> list[str]:
    """The arXiv codes a stored code such as "cs.LG/stat.ML" lists, in order without repeats."""
    codes: list[str] = []
    for piece in _SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        if len(piece) <= 40 and _CODE.fullmatch(piece) and piece not in codes:
            codes.append(piece)
    return codes


def split_invalid_codes(apps, schema_editor):
    """Each paper of an invalid code gets the valid codes it lists instead; the invalid row goes (with the
    pieces that are no code at all). The papers' category id arrays follow, and readers' caches too."""
    Category = apps.get_model("papers", "Category")
    Paper = apps.get_model("papers", "Paper")
    through = Paper.categories.through
    touched: set[int] = set()
    for category in Category.objects.exclude(code__regex=CATEGORY_CODE_PATTERN).order_by("pk"):
        paper_ids = list(through.objects.filter(category_id=category.pk).values_list("paper_id", flat=True))
        touched.update(paper_ids)
        for code in listed_codes(category.code):
            listed, _ = Category.objects.get_or_create(
                code=code, defaults={"name": ARXIV_CATEGORY_NAMES.get(code, "")}
            )
            through.objects.bulk_create(
                [through(paper_id=paper_id, category_id=listed.pk) for paper_id in paper_ids],
                ignore_conflicts=True,
            )
        category.delete()
    # Fire the deferred foreign-key checks of these writes now: PostgreSQL alters no table with pending ones.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if not touched:
        return
    schema_editor.execute(
        f"UPDATE {Paper._meta.db_table} AS p SET category_ids = coalesce("
        f"(SELECT array_agg(DISTINCT c.category_id ORDER BY c.category_id) FROM {through._meta.db_table} c"
        " WHERE c.paper_id = p.id), '{}') WHERE p.id = ANY(%s)",
        [sorted(touched)],
    )
    schema_editor.execute("SELECT nextval('papers_catalogue_version')")


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0011_paper_slug_format"),
    ]

    operations = [
        migrations.RunPython(split_invalid_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="category",
            name="code",
            field=models.CharField(
                max_length=40, unique=True, validators=[papers.models.validate_category_code]
            ),
        ),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    code__regex="^(?:[a-z]{2,}|[a-z]-[a-z]+)(?:-[a-z]+)*"
                    "(?:\\.(?:[A-Z]{2}|[a-z]{3,}(?:-[a-z]+)*|[a-z]+(?:-[a-z]+)+))?$"
                ),
                name="category_code_format",
            ),
        ),
    ]
