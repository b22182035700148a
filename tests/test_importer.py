"""The importer: one transaction per file, papers matched across digests, idempotent re-imports."""

import threading
from pathlib import Path

import pytest
from django.db import connection

from papers.ingest.importer import CREATED, UNCHANGED, UPDATED, import_digest
from papers.ingest.importer.writing import DigestWriter
from papers.models import Author, Digest, DigestEntry, Paper, PaperLink, RelatedPaper, Score, Summary
from tests.conftest import SAMPLES, seed_path

pytestmark = pytest.mark.django_db

SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))
SEED_PREFIXES = ["000", "001", "002", "003", "004"]


def import_file(path: Path, **kwargs):
    result = import_digest(path.read_bytes(), path.name, **kwargs)
    assert result.ok, result.errors
    return result


def catalogue() -> dict:
    """Everything an import writes, with ids and paper/summary timestamps, so that any churn shows."""
    papers = {}
    for paper in Paper.objects.prefetch_related("categories", "authorships__author", "links", "scores"):
        papers[paper.pk] = {
            "title": paper.title,
            "arxiv_id": paper.arxiv_id,
            "published": paper.published,
            "abstract": paper.abstract,
            "updated_at": paper.updated_at,
            "authors": [(a.position, a.author.name) for a in paper.authorships.all()],
            "categories": sorted(c.code for c in paper.categories.all()),
            "links": sorted((link.url, link.kind) for link in paper.links.all()),
            "scores": sorted((s.kind, s.value) for s in paper.scores.all()),
        }
    return {
        "papers": papers,
        "summaries": sorted(
            Summary.objects.values_list(
                "pk", "paper_id", "entry_id", "language", "kind", "text", "updated_at"
            )
        ),
        "entries": sorted(DigestEntry.objects.values_list("pk", "digest_id", "paper_id", "position")),
        "related": sorted(RelatedPaper.objects.values_list("pk", "paper_id", "related_id", "score")),
        "authors": sorted(Author.objects.values_list("pk", "name")),
        "digests": sorted(Digest.objects.values_list("pk", "name", "checksum", "status", "issued")),
    }


def content(snapshot: dict) -> dict:
    """The same catalogue without database ids, to compare imports done in different orders."""
    titles = {pk: paper["title"] for pk, paper in snapshot["papers"].items()}
    return {
        "papers": sorted(
            (
                p["title"],
                p["arxiv_id"],
                p["published"],
                p["abstract"],
                tuple(p["authors"]),
                tuple(p["categories"]),
            )
            for p in snapshot["papers"].values()
        ),
        "summaries": sorted((titles[s[1]], s[3], s[4], s[5]) for s in snapshot["summaries"]),
        "related": sorted((titles[r[1]], titles[r[2]], r[3]) for r in snapshot["related"]),
    }


def test_samples_import_and_the_same_paper_from_three_digests_is_one_row():
    for path in SAMPLE_FILES:
        import_file(path)
    kan = Paper.objects.get(arxiv_id="2404.19756")
    assert Paper.objects.filter(title="KAN: Kolmogorov-Arnold Networks").count() == 1
    sources = set(kan.summaries.values_list("entry__digest__source__slug", flat=True))
    assert sources == {"arxiv-jp", "pytorchkr-top-ml-papers", "ronbun-no-gaiyou"}
    assert set(kan.summaries.values_list("language", flat=True)) == {"ja", "en"}
    assert kan.entries.count() == 3
    # arxiv.jp gave full names and categories, 論文の概要 the arXiv id and reference score.
    assert [a.author.name for a in kan.authorships.all()][:2] == ["Ziming Liu", "Yixuan Wang"]
    assert "cs.LG" in set(kan.categories.values_list("code", flat=True))
    assert kan.scores.get(kind="reference_score").source.slug == "ronbun-no-gaiyou"


def test_fuller_author_list_wins_whatever_the_order():
    zh, jp = SAMPLES / "zh_digest_sample.txt", SAMPLES / "arxiv_jp_sample.txt"
    import_file(zh)
    assert [a.author.name for a in Paper.objects.get(arxiv_id="2312.00752").authorships.all()] == [
        "A Gu",
        "T Dao",
    ]
    result = import_file(jp)
    mamba = Paper.objects.get(title__startswith="Mamba:")
    assert [a.author.name for a in mamba.authorships.all()] == ["Albert Gu", "Tri Dao"]
    outcome = next(o for o in result.papers if o.title.startswith("Mamba"))
    assert outcome.state == UPDATED and outcome.matched_by == "title"
    assert "authors" in outcome.changes
    # Initials stay as authors of their own: never merged silently.
    assert Author.objects.filter(name__in=["A Gu", "Albert Gu"]).count() == 2


def test_every_summary_keeps_its_digest_entry():
    for path in SAMPLE_FILES:
        import_file(path)
    assert not Summary.objects.filter(entry__isnull=True).exists()
    for summary in Summary.objects.select_related("entry__digest"):
        assert summary.entry.digest.status == Digest.Status.IMPORTED


def test_reimporting_a_file_changes_nothing_and_reports_unchanged():
    for path in SAMPLE_FILES:
        import_file(path)
    before = catalogue()
    for path in SAMPLE_FILES:
        result = import_file(path)
        assert result.identical
        assert {o.state for o in result.papers} == {UNCHANGED}, [(o.title, o.changes) for o in result.papers]
        assert result.summaries_created == result.summaries_updated == result.summaries_deleted == 0
    assert catalogue() == before
    assert Digest.objects.get(name="arxiv_jp_sample.txt").papers_unchanged == 3


def test_related_papers_become_papers_linked_from_the_listing_paper():
    result = import_file(SAMPLES / "ronbun_gaiyou_sample.txt")
    kan = Paper.objects.get(arxiv_id="2404.19756")
    related = list(kan.related_links.select_related("related").order_by("position"))
    assert [r.related.title for r in related] == [
        "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
        "Kolmogorov-Arnold Transformer",
        "Wav-KAN: Wavelet Kolmogorov-Arnold Networks",
    ]
    assert related[0].score == pytest.approx(58.31239450384221)
    assert str(related[0].related.published) == "2024-08-19"
    ja = related[0].related.summaries.get(language="ja")
    assert ja.entry.paper_id == kan.pk  # provenance: the entry of the paper that lists it
    assert result.count(CREATED) == 4


def test_a_later_full_entry_enriches_a_paper_first_seen_as_related(tmp_path):
    import_file(SAMPLES / "ronbun_gaiyou_sample.txt")
    related = Paper.objects.get(title="Kolmogorov-Arnold Transformer")
    assert related.arxiv_id is None and related.authorships.count() == 0
    digest = tmp_path / "kat.txt"
    digest.write_text(
        "1. Kolmogorov-Arnold Transformer\n"
        "X Yang, X Wang - arXiv preprint arXiv:2409.10594, 2024\n"
        "https://arxiv.org/abs/2409.10594\n"
        "柯尔莫哥洛夫-阿诺德Transformer\n"
        "摘要:\n用KAN层替换Transformer中的MLP层。\n"
        "推荐阅读指数: 4\n"
        "分析总结:\n把KAN用于大规模模型的一次尝试。\n",
        encoding="utf-8",
    )
    result = import_file(digest)
    related.refresh_from_db()
    assert result.papers[0].matched_by == "title"
    assert related.arxiv_id == "2409.10594"
    assert [a.author.name for a in related.authorships.all()] == ["X Yang", "X Wang"]
    assert set(related.summaries.values_list("language", flat=True)) == {"ja", "zh"}


def test_a_corrected_file_updates_what_changed_and_drops_what_it_no_longer_lists(tmp_path):
    original = (SAMPLES / "zh_digest_sample.txt").read_text(encoding="utf-8")
    path = tmp_path / "zh_digest_sample.txt"
    path.write_text(original, encoding="utf-8")
    import_file(path)
    assert Paper.objects.filter(arxiv_id="1706.03762").exists()
    # The editor fixes the score of entry 1 and removes entry 2.
    corrected = original.replace("推荐阅读指数: 4.5", "推荐阅读指数: 5").split(
        "\n2. Attention Is All You Need"
    )[0]
    path.write_text(corrected + "\n", encoding="utf-8")
    result = import_file(path)
    assert Digest.objects.count() == 1
    assert Paper.objects.get(arxiv_id="2312.00752").scores.get().value == 5
    assert [o.state for o in result.papers] == [UPDATED]
    assert not Paper.objects.filter(arxiv_id="1706.03762").exists()  # came only from this digest
    assert result.count(CREATED) == 0


def test_dry_run_writes_nothing_but_reports_what_would_change():
    result = import_file(SAMPLES / "arxiv_jp_sample.txt", dry_run=True)
    assert result.count(CREATED) == 3 and result.summaries_created > 0
    assert Paper.objects.count() == Summary.objects.count() == Digest.objects.count() == 0
    assert result.digest_id is None


def test_a_failure_midway_leaves_nothing_half_written(monkeypatch):
    def explode(self, digest):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DigestWriter, "_sync_summaries", explode)
    result = import_digest((SAMPLES / "arxiv_jp_sample.txt").read_bytes(), "arxiv_jp_sample.txt")
    assert result.errors == ["import failed, nothing was written: disk full"]
    assert Paper.objects.count() == Author.objects.count() == Digest.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"Just a note about my weekend.\nNothing to see here.\n", "not a known digest format"),
    ],
    ids=["empty", "blank", "binary", "unknown-format"],
)
def test_bad_input_gives_a_clear_error_and_writes_nothing(data, message):
    result = import_digest(data, "bad.txt")
    assert not result.ok
    assert message in result.errors[0]
    assert Paper.objects.count() == Digest.objects.count() == 0


def test_unknown_format_error_names_the_known_families():
    result = import_digest(b"Some unrelated text\nwith two lines\n", "notes.txt")
    for family in ("arxiv_jp", "pytorchkr", "zh_digest", "ronbun_gaiyou"):
        assert family in result.errors[0]


def test_oversized_file_is_refused(settings):
    settings.DIGEST_MAX_FILE_BYTES = 1000
    result = import_digest((SAMPLES / "arxiv_jp_sample.txt").read_bytes(), "big.txt")
    assert result.errors == [
        f"file is {len((SAMPLES / 'arxiv_jp_sample.txt').read_bytes()):,} bytes; the limit is 1,000 bytes"
    ]


def test_markup_in_titles_and_summaries_is_stored_as_text(tmp_path):
    path = tmp_path / "xss.txt"
    text = (SAMPLES / "zh_digest_sample.txt").read_text(encoding="utf-8")
    text = text.replace(
        "1. Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        "1. <script>alert(1)</script> Mamba <b>bold</b>",
    ).replace("研究背景:", "研究背景:\n<img src=x onerror=alert(2)>")
    path.write_text(text, encoding="utf-8")
    import_file(path)
    paper = Paper.objects.get(arxiv_id="2312.00752")
    assert paper.title == "<script>alert(1)</script> Mamba <b>bold</b>"
    assert "<img src=x onerror=alert(2)>" in paper.summaries.get(kind="background").text


def test_truncated_digest_imports_the_complete_entries_with_a_warning(tmp_path):
    text = (SAMPLES / "arxiv_jp_sample.txt").read_text(encoding="utf-8")
    cut = text[: text.index("Attention Is All You Need") + 200]
    path = tmp_path / "cut.txt"
    path.write_text(cut, encoding="utf-8")
    result = import_digest(path.read_bytes(), path.name)
    assert result.ok
    assert Paper.objects.count() >= 2
    assert any("line" in warning for warning in result.warnings)


# -- the real seeds (../shared/seeds/, present in CI) -----------------------------------------------------


def seed_files() -> list[Path]:
    return [seed_path(prefix) for prefix in SEED_PREFIXES]


def test_seeds_import_with_the_expected_paper_counts():
    counts = {}
    for path in seed_files():
        result = import_file(path)
        counts[path.name[:3]] = (
            result.family,
            sum(1 for o in result.papers if not o.related),
            len(result.papers),
        )
    assert counts == {
        "000": ("arxiv_jp", 10, 10),
        "001": ("pytorchkr", 10, 10),
        "002": ("zh_digest", 5, 5),
        "003": ("pytorchkr", 10, 10),
        "004": ("ronbun_gaiyou", 1, 10),  # the page lists 9 related papers
    }
    assert Paper.objects.count() == 45
    assert RelatedPaper.objects.count() == 9
    assert Score.objects.filter(kind="reading_index").count() == 5


def test_importing_all_seeds_twice_leaves_the_database_identical():
    for path in seed_files():
        import_file(path)
    before = catalogue()
    for path in seed_files():
        result = import_file(path)
        assert {o.state for o in result.papers} == {UNCHANGED}
    assert catalogue() == before


def test_seeds_and_samples_give_the_same_papers_in_any_order():
    files = seed_files() + SAMPLE_FILES
    for path in files:
        import_file(path)
    forward = content(catalogue())
    for model in (RelatedPaper, Summary, DigestEntry, Digest, PaperLink, Score, Paper, Author):
        model.objects.all().delete()
    for path in reversed(files):
        import_file(path)
    assert content(catalogue()) == forward


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_overlapping_digests_create_no_duplicates():
    files = [
        SAMPLES / "arxiv_jp_sample.txt",
        SAMPLES / "pytorchkr_sample.txt",
        SAMPLES / "zh_digest_sample.txt",
    ]
    files += [SAMPLES / "ronbun_gaiyou_sample.txt"]
    barrier = threading.Barrier(len(files))
    results = {}

    def run(path: Path) -> None:
        try:
            barrier.wait()
            results[path.name] = import_digest(path.read_bytes(), path.name)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result.ok for result in results.values()), {n: r.errors for n, r in results.items()}
    assert Paper.objects.filter(title="KAN: Kolmogorov-Arnold Networks").count() == 1
    assert Paper.objects.filter(title__startswith="Mamba:").count() == 1
    assert Paper.objects.get(arxiv_id="2404.19756").entries.count() == 3


def test_seeds_absent_skip_with_a_reason(monkeypatch):
    monkeypatch.setattr("tests.conftest.SEEDS", Path("/nonexistent/seeds"))
    with pytest.raises(pytest.skip.Exception, match="seed digests not found"):
        seed_path("000")
