"""`manage.py import_digests`: files, directories and globs; table or JSON; exit status; dry run."""

import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from papers.models import Digest, Paper
from tests.conftest import FIXTURES, SAMPLES, seed_path

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_digests", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_directory_imports_every_digest_and_prints_a_table():
    output = run(str(SAMPLES))
    lines = output.splitlines()
    assert lines[0].split() == [
        "file",
        "format",
        "created",
        "updated",
        "unchanged",
        "summaries",
        "warnings",
        "errors",
    ]
    assert any(line.startswith("arxiv_jp_sample.txt") and "arxiv_jp" in line for line in lines)
    demo_files = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".html"})
    assert lines[1 + len(demo_files)].split()[0] == "total"
    assert Digest.objects.count() == len(demo_files) == 5


def test_json_output_has_the_documented_shape():
    document = json.loads(
        run("--json", str(SAMPLES / "zh_digest_sample.txt"), str(SAMPLES / "ronbun_gaiyou_sample.txt"))
    )
    assert [f["format"] for f in document["files"]] == ["zh_digest", "ronbun_gaiyou"]
    zh, ronbun = document["files"]
    assert set(zh) >= {"file", "format", "papers", "warnings", "errors"}
    mamba = zh["papers"][0]
    assert set(mamba) >= {
        "title",
        "arxiv_id",
        "authors",
        "categories",
        "published",
        "summaries",
        "links",
        "scores",
    }
    assert mamba["arxiv_id"] == "2312.00752" and mamba["authors"] == ["A Gu", "T Dao"]
    assert mamba["scores"] == {"reading_index": 4.5}
    assert {k: mamba["summaries"][2][k] for k in ("language", "kind")} == {
        "language": "zh",
        "kind": "background",
    }
    assert all(set(link) == {"url", "kind"} for link in mamba["links"])
    kan = ronbun["papers"][0]
    assert kan["published"] == "2024-04-30"
    assert kan["related"][0] == {
        "title": "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
        "score": 58.31239450384221,
        "date": "2024-08-19",
    }


def test_globs_are_expanded(tmp_path):
    for name in ("a.txt", "b.txt"):
        shutil.copy(SAMPLES / "arxiv_jp_sample.txt", tmp_path / name)
    output = run(str(tmp_path / "*.txt"))
    assert "a.txt" in output and "b.txt" in output
    assert "b.txt: identical to a digest imported before" in output  # same bytes, second name


def test_a_failing_file_makes_the_exit_status_non_zero_while_the_others_import(tmp_path):
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00")
    shutil.copy(SAMPLES / "zh_digest_sample.txt", tmp_path / "zh.txt")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_digests", str(tmp_path), stdout=out, stderr=StringIO())
    assert "broken.txt: error: file looks binary" in out.getvalue()
    assert Paper.objects.filter(arxiv_id="2312.00752").exists()


def test_dry_run_writes_nothing():
    output = run("--dry-run", str(SAMPLES))
    assert "dry run: nothing was written" in output
    assert Paper.objects.count() == Digest.objects.count() == 0


def test_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match=r"nowhere\.txt: no such file, directory or matching glob"):
        run("/nowhere.txt")


def test_saved_html_pages_import_like_their_text_versions():
    pages = [
        "discourse_pytorchkr.html",
        "wordpress_zh_digest.html",
        "blog_arxiv_jp.html",
        "ronbun_gaiyou.html",
    ]
    document = json.loads(run("--json", *(str(FIXTURES / "html" / page) for page in pages)))
    assert [entry["format"] for entry in document["files"]] == [
        "pytorchkr",
        "zh_digest",
        "arxiv_jp",
        "ronbun_gaiyou",
    ]
    assert [len(entry["papers"]) for entry in document["files"]] == [3, 2, 2, 1]
    assert all(entry["errors"] == [] for entry in document["files"])


@pytest.mark.parametrize("page", ["entity_bomb.html", "external_entity.html"])
def test_hostile_html_pages_are_refused_with_a_clear_message(page):
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command("import_digests", str(FIXTURES / "html" / page), stdout=out, stderr=StringIO())
    assert f"{page}: error: not a known digest format" in out.getvalue()
    assert "root:" not in out.getvalue()  # /etc/passwd was not read
    assert Paper.objects.count() == Digest.objects.count() == 0


def test_seed_files_import_through_the_cli():
    paths = [str(seed_path(prefix)) for prefix in ("000", "001", "002", "003", "004")]
    document = json.loads(run("--json", *paths))
    assert [len(f["papers"]) for f in document["files"]] == [10, 10, 5, 10, 1]
    assert [f["errors"] for f in document["files"]] == [[]] * 5
