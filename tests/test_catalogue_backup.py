"""`export_catalogue` / `import_catalogue`: a JSON-lines backup with natural keys that restores the catalogue
exactly (a second export is byte-identical), refuses a non-empty catalogue and names malformed lines."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, models

from papers.backup.format import CATALOGUE_MODELS, FORMAT, TYPES, VERSION, catalogue_is_empty
from papers.curation import merge_authors, merge_papers, set_visibility
from papers.models import (
    Author,
    AuthorRedirect,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperRedirect,
    Source,
    Summary,
)
from papers.search.index import refresh_papers
from tests.conftest import SAMPLES, import_paths

pytestmark = pytest.mark.django_db

KAN = "2404.19756"


def export() -> str:
    out = StringIO()
    call_command("export_catalogue", stdout=out)
    return out.getvalue()


def import_file(path) -> str:
    out = StringIO()
    call_command("import_catalogue", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def wipe() -> None:
    Paper.objects.all().delete()  # with their entries, summaries, links, scores, relations, redirects
    Digest.objects.all().delete()
    for model in CATALOGUE_MODELS:
        model.objects.all().delete()
    assert catalogue_is_empty()


def natural_keys() -> dict:
    """pk → natural key for every model another row can point to."""
    user = get_user_model()
    return {
        Paper: {pk: a or s for pk, a, s in Paper.objects.values_list("pk", "arxiv_id", "slug")},
        Author: dict(Author.objects.values_list("pk", "name")),
        Category: dict(Category.objects.values_list("pk", "code")),
        Digest: {pk: (s, n) for pk, s, n in Digest.objects.values_list("pk", "source__slug", "name")},
        DigestEntry: {
            pk: (s, n, p)
            for pk, s, n, p in DigestEntry.objects.values_list(
                "pk", "digest__source__slug", "digest__name", "position"
            )
        },
        user: dict(user.objects.values_list("pk", user.USERNAME_FIELD)),
        Source: dict(Source.objects.values_list("pk", "slug")),
    }


def snapshot() -> dict:
    """Every row of the catalogue, foreign keys as natural keys, without surrogate ids (authors keep
    theirs: it is in their URL). Derived columns are included: the import must recompute them equally."""
    keys = natural_keys()
    # The search vector's lexemes and weights; word positions follow the order in which PostgreSQL returns
    # a paper's equally sorted summaries, which a restore does not reproduce (and search does not need).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.slug, array_agg(DISTINCT u.lexeme || ':' || w ORDER BY u.lexeme || ':' || w) "
            "FROM papers_paper p, unnest(p.search_vector) u, unnest(u.weights) w GROUP BY p.slug"
        )
        lexemes = dict(cursor.fetchall())
    tables = {}
    for model in [*CATALOGUE_MODELS, Authorship, Paper.categories.through]:
        rows = []
        for row in model.objects.values(*[f.attname for f in model._meta.concrete_fields]):
            for f in model._meta.concrete_fields:
                if isinstance(f, models.ForeignKey) and row[f.attname] is not None:
                    row[f.attname] = keys[f.related_model][row[f.attname]]
            if model is not Author:
                row.pop("id")
            if "search_vector" in row:
                row["search_vector"] = lexemes[row["slug"]]
            # The facet id arrays hold surrogate ids too (authors' are kept, as above).
            id_arrays = (("category_ids", Category), ("source_ids", Source), ("digest_ids", Digest))
            for column, related in id_arrays:
                if column in row:
                    row[column] = sorted(keys[related][pk] for pk in row[column])
            rows.append(tuple(sorted((k, repr(v)) for k, v in row.items())))
        tables[model._meta.label] = sorted(rows)
    return tables


@pytest.fixture
def catalogue(demo_papers, admin_user):
    """The demo digests plus an editor's correction, an editor's own text, a hidden paper, merged papers
    and authors (with their redirects) and a digest with its importer."""
    Digest.objects.filter(name="arxiv_jp_sample.txt").update(imported_by=admin_user)
    summary = Summary.objects.filter(paper__arxiv_id=KAN, language="ja").first()
    summary.text = "編集部で訂正した要約。"
    summary.edited_by_editor = True
    summary.save()
    Summary.objects.create(
        paper=summary.paper, entry=None, language="en", kind="analysis", text="An editor's own note."
    )
    refresh_papers([summary.paper_id])  # as the admin does after an edit
    hidden = Paper.objects.exclude(arxiv_id=KAN).filter(title__icontains="attention").first()
    assert hidden is not None
    set_visibility(Paper.objects.filter(pk=hidden.pk), "hidden")

    duplicate = Paper.objects.create(title="Kolmogorov Arnold Networks (KAN)")
    Authorship.objects.create(paper=duplicate, author=Author.objects.create(name="Z. Liu"), position=1)
    merge_papers(Paper.objects.get(arxiv_id=KAN), [duplicate], user=admin_user)
    assert PaperRedirect.objects.filter(old_key=duplicate.slug).exists()

    spelling = Author.objects.create(name="Ziming Liu (MIT)")
    Authorship.objects.create(paper=Paper.objects.get(arxiv_id=KAN), author=spelling, position=99)
    keep = Author.objects.exclude(pk=spelling.pk).order_by("pk").first()
    merge_authors(keep, [spelling], user=admin_user)
    assert AuthorRedirect.objects.filter(old_id=spelling.pk).exists()
    return spelling.pk


def test_export_import_round_trip_is_exact(catalogue, tmp_path):
    found_before = set(Paper.objects.published().search("Mamba").values_list("slug", flat=True))
    assert found_before
    before = snapshot()
    first = export()

    lines = first.splitlines()
    header = json.loads(lines[0])
    assert header["format"] == FORMAT and header["version"] == VERSION
    assert header["counts"]["paper"] == Paper.objects.count()
    assert [json.loads(line)["type"] for line in lines[1:]] == sorted(
        (json.loads(line)["type"] for line in lines[1:]), key=TYPES.index
    )
    assert sum(header["counts"].values()) == len(lines) - 1

    path = tmp_path / "catalogue.jsonl"
    call_command("export_catalogue", "--output", str(path), stderr=StringIO())
    assert path.read_text(encoding="utf-8") == first

    wipe()
    assert import_file(path).startswith("Imported ")

    assert export() == first
    after = snapshot()
    for label, rows in before.items():  # one table at a time, to name the one that differs
        assert after[label] == rows, label
    assert after == before
    assert set(Paper.objects.published().search("Mamba").values_list("slug", flat=True)) == found_before
    assert Paper.objects.filter(visibility="hidden").count() == 1
    assert Summary.objects.filter(edited_by_editor=True).count() == 1
    # New authors never take an id that an author redirect still answers for.
    assert Author.objects.create(name="Someone New").pk > catalogue


def test_a_malformed_line_is_named_and_nothing_is_imported(demo_papers, tmp_path):
    lines = export().splitlines(keepends=True)
    wipe()
    path = tmp_path / "broken.jsonl"
    path.write_text("".join([*lines[:4], '{"type": "paper", "title": \n', *lines[5:]]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 5: malformed JSON .*\(nothing was imported\)"):
        import_file(path)
    assert catalogue_is_empty()

    path.write_text("".join([*lines[:4], '{"type": "paper", "title": "x"}\n', *lines[5:]]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 5: paper record without arxiv_id, slug"):
        import_file(path)
    assert catalogue_is_empty()


def test_unknown_versions_truncated_files_and_unknown_references_are_refused(demo_papers, tmp_path):
    lines = export().splitlines(keepends=True)
    wipe()
    path = tmp_path / "backup.jsonl"
    header = json.loads(lines[0])

    path.write_text(json.dumps({**header, "version": 99}) + "\n" + "".join(lines[1:]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 1: unsupported format version 99"):
        import_file(path)

    path.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"header announces .* is it truncated"):
        import_file(path)

    first_entry = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "entry")
    bad = {**json.loads(lines[first_entry]), "paper": "9999.99999"}
    path.write_text(
        "".join([*lines[:first_entry], json.dumps(bad) + "\n", *lines[first_entry + 1 :]]), encoding="utf-8"
    )
    with pytest.raises(CommandError, match=rf"line {first_entry + 1}: unknown paper '9999.99999'"):
        import_file(path)
    assert catalogue_is_empty()


def test_a_catalogue_that_is_not_empty_is_refused(demo_papers, tmp_path):
    path = tmp_path / "backup.jsonl"
    path.write_text(export(), encoding="utf-8")
    papers = Paper.objects.count()
    with pytest.raises(CommandError, match=r"catalogue is not empty .*only be imported into an empty"):
        import_file(path)
    assert Paper.objects.count() == papers


def test_an_empty_catalogue_exports_a_header_only(db):
    assert catalogue_is_empty()
    (line,) = export().splitlines()
    assert json.loads(line) == {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "counts": dict.fromkeys(TYPES, 0),
    }


def test_the_demo_digests_alone_round_trip(db, tmp_path):
    import_paths(sorted(SAMPLES.glob("*.txt")))
    path = tmp_path / "demo.jsonl"
    path.write_text(export(), encoding="utf-8")
    wipe()
    import_file(path)
    assert export() == path.read_text(encoding="utf-8")
